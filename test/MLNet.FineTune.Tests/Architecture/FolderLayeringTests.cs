using Mono.Cecil;
using Mono.Cecil.Cil;

namespace MLNet.FineTune.Tests.Architecture;

/// <summary>
/// Pins docs/design/architecture.md: the product assembly's folders (= namespaces) depend on each other without
/// cycles, and only downwards through the layers drawn there. Read from the compiled IL (signatures, fields, base
/// types, attributes and every instruction's operand), so a reference written in a method body counts as much as one
/// in a signature, and a child namespace that uses a root type without a <c>using</c> is caught too.
/// </summary>
[TestClass]
public class FolderLayeringTests
{
    const string Root = "MLNet.FineTune";

    /// <summary>Each folder and the folders it may use (transitively closed below). Anything else is a layering error.</summary>
    static readonly Dictionary<string, string[]> Allowed = new()
    {
        // Layer 0: ML.NET plumbing of ours: the one row-mapping mechanism (batched scoring), then zip persistence on it.
        ["Scoring"] = [],
        ["Persistence"] = ["Scoring"],
        // Layer 1: text in, model out.
        ["Tokenization"] = ["Scoring", "Persistence"],
        // Persistence also holds the readers of untrusted user files (JsonFields, UserFile) every file-reading layer uses.
        ["Modeling"] = ["Tokenization", "Persistence"],
        // Layer 2: reading data, the training loop, parameter-efficient methods.
        ["Data"] = ["Tokenization", "Persistence"],
        ["Training"] = ["Modeling"],
        ["Peft"] = ["Modeling", "Persistence"],
        // Layer 3: task heads and the multi-head network.
        ["Heads"] = ["Scoring", "Modeling", "Tokenization", "Data", "Training", "Peft"],
        // Sentence embeddings beside the heads: pooling, the embedding scorer, the contrastive training network, SetFit's pairs.
        ["Embeddings"] = ["Scoring", "Persistence", "Modeling", "Tokenization", "Data", "Training", "Peft"],
        // Layer 3½: ONNX export walks the fitted network (encoder + heads) and writes the graph.
        ["Export"] = ["Scoring", "Persistence", "Tokenization", "Modeling", "Peft", "Heads"],
        // Beside the heads: text generation with causal LMs (decoding loop, logits processors, sampling, streaming).
        ["Generation"] = ["Scoring", "Persistence", "Modeling", "Tokenization", "Peft", "Training"],
        // Layer 4: evaluating what the heads produce.
        ["Evaluation"] = ["Data", "Heads"],
        // Layer 5: the ML.NET surface (estimators, transformers and their scorers, options, catalog, model card).
        [""] = ["Scoring", "Persistence", "Tokenization", "Modeling", "Data", "Training", "Peft", "Heads", "Embeddings", "Evaluation", "Export", "Generation"],
    };

    static Dictionary<string, HashSet<string>> Dependencies()
    {
        var path = typeof(FineTuneEstimator).Assembly.Location;
        using var module = ModuleDefinition.ReadModule(path);
        var graph = new Dictionary<string, HashSet<string>>();
        foreach (var type in module.GetTypes())
        {
            var from = Folder(type);
            if (from is null) continue;
            var uses = graph.TryGetValue(from, out var set) ? set : graph[from] = new HashSet<string>();
            foreach (var used in ReferencedTypes(type).Select(Folder).OfType<string>())
                if (used != from) uses.Add(used);
        }
        return graph;
    }

    /// <summary>The folder of a type of ours ("" for the root namespace), or null for anything else.</summary>
    static string? Folder(TypeReference? type)
    {
        while (type is { IsNested: true }) type = type.DeclaringType;
        while (type is TypeSpecification spec) type = spec.ElementType;
        if (type is null || type.Scope?.Name is not ("MLNet.FineTune" or "MLNet.FineTune.dll")) return null;
        var ns = type.Namespace;
        if (ns == Root) return "";
        if (!ns.StartsWith(Root + ".", StringComparison.Ordinal)) return null;
        return ns[(Root.Length + 1)..].Split('.')[0];
    }

    static IEnumerable<TypeReference> ReferencedTypes(TypeDefinition type)
    {
        if (type.BaseType is { } b) foreach (var t in Expand(b)) yield return t;
        foreach (var i in type.Interfaces) foreach (var t in Expand(i.InterfaceType)) yield return t;
        foreach (var a in type.CustomAttributes) foreach (var t in Attribute(a)) yield return t;
        foreach (var f in type.Fields) foreach (var t in Expand(f.FieldType)) yield return t;
        foreach (var p in type.Properties) foreach (var t in Expand(p.PropertyType)) yield return t;
        foreach (var m in type.Methods)
        {
            foreach (var t in Expand(m.ReturnType)) yield return t;
            foreach (var p in m.Parameters) foreach (var t in Expand(p.ParameterType)) yield return t;
            foreach (var a in m.CustomAttributes) foreach (var t in Attribute(a)) yield return t;
            if (!m.HasBody) continue;
            foreach (var v in m.Body.Variables) foreach (var t in Expand(v.VariableType)) yield return t;
            foreach (var ins in m.Body.Instructions)
                switch (ins.Operand)
                {
                    case TypeReference tr: foreach (var t in Expand(tr)) yield return t; break;
                    case MethodReference mr:
                        foreach (var t in Expand(mr.DeclaringType)) yield return t;
                        foreach (var t in Expand(mr.ReturnType)) yield return t;
                        foreach (var p in mr.Parameters) foreach (var t in Expand(p.ParameterType)) yield return t;
                        if (mr is GenericInstanceMethod g) foreach (var a in g.GenericArguments) foreach (var t in Expand(a)) yield return t;
                        break;
                    case FieldReference fr:
                        foreach (var t in Expand(fr.DeclaringType)) yield return t;
                        foreach (var t in Expand(fr.FieldType)) yield return t;
                        break;
                }
        }
    }

    static IEnumerable<TypeReference> Attribute(CustomAttribute a)
    {
        foreach (var t in Expand(a.AttributeType)) yield return t;
        foreach (var arg in a.ConstructorArguments.Concat(a.Properties.Select(p => p.Argument)))
            if (arg.Value is TypeReference tr) foreach (var t in Expand(tr)) yield return t;
    }

    static IEnumerable<TypeReference> Expand(TypeReference? type)
    {
        if (type is null) yield break;
        yield return type;
        if (type is GenericInstanceType g) foreach (var a in g.GenericArguments) foreach (var t in Expand(a)) yield return t;
        if (type is TypeSpecification spec) foreach (var t in Expand(spec.ElementType)) yield return t;
    }

    static string Name(string folder) => folder == "" ? "(root: ML.NET surface)" : folder;

    [TestMethod]
    public void EveryFolderHasAPlaceInTheLayers()
    {
        var unknown = Dependencies().Keys.Where(f => !Allowed.ContainsKey(f)).ToList();
        Assert.AreEqual(0, unknown.Count, "Folders missing from docs/design/architecture.md and this test's layers: " + string.Join(", ", unknown.Select(Name)));
    }

    [TestMethod]
    public void FoldersDependOnlyDownwards()
    {
        var violations = Dependencies()
            .SelectMany(kv => kv.Value.Where(to => !Allowed.GetValueOrDefault(kv.Key, []).Contains(to)).Select(to => $"{Name(kv.Key)} -> {Name(to)}"))
            .OrderBy(s => s).ToList();
        Assert.AreEqual(0, violations.Count, "Dependencies against the layering:\n" + string.Join("\n", violations));
    }

    [TestMethod]
    public void FolderGraphHasNoCycle()
    {
        var graph = Dependencies();
        var state = new Dictionary<string, int>();
        var stack = new List<string>();
        string? cycle = null;
        void Visit(string n)
        {
            if (cycle != null) return;
            state[n] = 1; stack.Add(n);
            foreach (var m in graph.GetValueOrDefault(n, []))
            {
                if (state.GetValueOrDefault(m) == 1) { cycle = string.Join(" -> ", stack.SkipWhile(s => s != m).Append(m).Select(Name)); return; }
                if (state.GetValueOrDefault(m) == 0) Visit(m);
                if (cycle != null) return;
            }
            stack.RemoveAt(stack.Count - 1); state[n] = 2;
        }
        foreach (var n in graph.Keys) if (state.GetValueOrDefault(n) == 0) Visit(n);
        Assert.IsNull(cycle, "Folder dependency cycle: " + cycle);
    }

    [TestMethod]
    public void TheGraphIsReadFromIL()
    {
        // The test would pass vacuously if nothing were read: the surface certainly uses Heads and Training.
        var graph = Dependencies();
        Assert.IsTrue(graph[""].Contains("Heads") && graph[""].Contains("Training"), string.Join(", ", graph[""]));
    }
}
