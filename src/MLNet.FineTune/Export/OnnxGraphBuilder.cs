using System.Runtime.InteropServices;

namespace MLNet.FineTune.Export;

/// <summary>ONNX element types the export writes (TensorProto.DataType).</summary>
internal enum OnnxElement { Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, Bool = 9, UInt32 = 12 }

/// <summary>A dimension of a graph input or output: a fixed size or a named dynamic axis ("batch", "sequence").</summary>
internal readonly record struct OnnxDim(long Size, string? Name)
{
    public static implicit operator OnnxDim(long size) => new(size, null);
    public static implicit operator OnnxDim(string name) => new(0, name);
}

internal sealed record OnnxValueInfo(string Name, OnnxElement Element, IReadOnlyList<OnnxDim> Dims);

/// <summary>A tensor stored in the graph: little-endian bytes (raw_data), never copied after it is added.</summary>
internal sealed record OnnxTensorData(string Name, OnnxElement Element, long[] Dims, ReadOnlyMemory<byte> Raw)
{
    public static OnnxTensorData Floats(string name, float[] values, long[] dims) =>
        new(name, OnnxElement.Float, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static OnnxTensorData Longs(string name, long[] values, long[] dims) =>
        new(name, OnnxElement.Int64, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}

/// <summary>
/// A node: operator, inputs, outputs and attributes (long, float, long[], string or <see cref="OnnxTensorData"/>);
/// <paramref name="Domain"/> "" for standard ONNX, <see cref="OnnxGraphBuilder.MicrosoftDomain"/> for ONNX Runtime's contrib operators.
/// </summary>
internal sealed record OnnxExportNode(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyList<KeyValuePair<string, object>> Attributes, string Domain = "");

/// <summary>
/// Builds an ONNX graph in memory: nodes with unique names (a node's single output carries its name), weights as
/// initializers (each stored once, by name), small constants as <c>Constant</c> nodes. Float constants are never
/// initializers: our ONNX importer treats every float initializer as a weight it must place, and an encoder exported
/// here must import back.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    List<OnnxExportNode> nodes = [];
    readonly Dictionary<string, OnnxTensorData> initializers = new(StringComparer.Ordinal);
    readonly HashSet<string> names = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> constants = new(StringComparer.Ordinal);

    /// <summary>ONNX Runtime's contrib operator domain (Attention, BiasGelu), opset version 1.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    public IReadOnlyList<OnnxExportNode> Nodes => nodes;
    public IEnumerable<OnnxTensorData> Initializers => initializers.Values;
    public List<OnnxValueInfo> Inputs { get; } = [];
    public List<OnnxValueInfo> Outputs { get; } = [];

    public string Input(string name, OnnxElement element, params OnnxDim[] dims)
    {
        Inputs.Add(new OnnxValueInfo(Claim(name), element, dims));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> a graph output under <paramref name="name"/> (through Identity when the names differ).</summary>
    public void Output(string value, string name, OnnxElement element, params OnnxDim[] dims)
    {
        if (value != name) Add("Identity", [value], name, exactName: true);
        Outputs.Add(new OnnxValueInfo(name, element, dims));
    }

    string Claim(string name) => names.Add(name) ? name : throw new InvalidOperationException($"ONNX export: value name '{name}' is used twice.");

    string Unique(string hint)
    {
        if (names.Add(hint)) return hint;
        for (int i = 1; ; i++) if (names.Add($"{hint}_{i}")) return $"{hint}_{i}";
    }

    /// <summary>Adds a node with one output, named after the node; returns the output.</summary>
    public string Add(string op, IReadOnlyList<string> inputs, string name, bool exactName = false, params (string Name, object Value)[] attributes) =>
        Node("", op, inputs, exactName ? Claim(name) : Unique(name), attributes);

    public string Add(string op, IReadOnlyList<string> inputs, string name, params (string Name, object Value)[] attributes) =>
        Add(op, inputs, name, false, attributes);

    /// <summary>Adds an ONNX Runtime contrib operator (domain <see cref="MicrosoftDomain"/>) with one output; returns it.</summary>
    public string AddMicrosoft(string op, IReadOnlyList<string> inputs, string name, params (string Name, object Value)[] attributes) =>
        Node(MicrosoftDomain, op, inputs, Unique(name), attributes);

    string Node(string domain, string op, IReadOnlyList<string> inputs, string name, (string Name, object Value)[] attributes)
    {
        nodes.Add(new OnnxExportNode(name, op, inputs, [name], attributes.Select(a => KeyValuePair.Create(a.Name, a.Value)).ToList(), domain));
        return name;
    }

    /// <summary>A weight, stored once under its name: adding the same name again returns it without a second copy.</summary>
    public string Initializer(OnnxTensorData tensor)
    {
        if (initializers.ContainsKey(tensor.Name)) return tensor.Name;
        initializers[Claim(tensor.Name)] = tensor;
        return tensor.Name;
    }

    /// <summary>A float scalar as a Constant node (one per distinct value).</summary>
    public string Scalar(float value) => Constant($"const_f_{value:R}", OnnxTensorData.Floats("", [value], []));

    /// <summary>An int64 vector (shapes, axes, slice bounds) as a Constant node (one per distinct value).</summary>
    public string Ints(params long[] values) => Constant($"const_i_{string.Join("_", values)}", OnnxTensorData.Longs("", values, [values.Length]));

    /// <summary>An int64 scalar (a Gather index) as a Constant node.</summary>
    public string IntScalar(long value) => Constant($"const_s_{value}", OnnxTensorData.Longs("", [value], []));

    string Constant(string key, OnnxTensorData value)
    {
        if (constants.TryGetValue(key, out var existing)) return existing;
        var name = Add("Constant", [], key.Replace('-', 'm').Replace('.', 'p').Replace('+', 'p'), ("value", value));
        constants[key] = name;
        return name;
    }

    /// <summary>Adds a node with several outputs (<paramref name="name"/>, then <paramref name="name"/>_1, …); returns them.</summary>
    public string[] AddMulti(string op, IReadOnlyList<string> inputs, string name, int outputs)
    {
        var unique = Unique(name);
        var names = new[] { unique }.Concat(Enumerable.Range(1, outputs - 1).Select(i => Unique($"{unique}_{i}"))).ToArray();
        nodes.Add(new OnnxExportNode(unique, op, inputs, names, []));
        return names;
    }

    public bool TryGetInitializer(string name, out OnnxTensorData tensor) => initializers.TryGetValue(name, out tensor!);

    public void RemoveInitializer(string name) => initializers.Remove(name);

    /// <summary>
    /// Rewrites the graph in place, keeping its topological order: nodes are visited in order; when
    /// <paramref name="replace"/> returns true it has added the node's replacement through this builder (ending in a
    /// node that gives the old node's output, its name released for reuse with <c>exactName</c>), else the node stays.
    /// </summary>
    public void Rewrite(Func<OnnxExportNode, bool> replace)
    {
        var old = nodes;
        nodes = new List<OnnxExportNode>(old.Count);
        foreach (var node in old)
        {
            names.Remove(node.Name);
            if (!replace(node))
            {
                names.Add(node.Name);
                nodes.Add(node);
            }
        }
        // A cached constant may be first defined after a node rewritten to use it: constants (no inputs) go first.
        nodes = [.. nodes.Where(n => n.OpType == "Constant"), .. nodes.Where(n => n.OpType != "Constant")];
    }

    public long InitializerBytes => initializers.Values.Sum(t => (long)t.Raw.Length);
}
