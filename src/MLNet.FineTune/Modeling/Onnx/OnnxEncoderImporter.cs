using System.Globalization;
using System.Text.RegularExpressions;
using MLNet.FineTune.Modeling.Checkpoints;

namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>
/// ONNX BERT encoder → <see cref="TransformerConfig"/> + Hugging Face state dict (the names and layouts
/// <c>Modeling/Bert</c> loads). Roles come from the graph's structure (<see cref="OnnxBertMatcher"/>); initializer names
/// are only cross-checked: a name that looks like a Hugging Face parameter must be the parameter the structure says,
/// else the file is refused, because trusting either side blindly could load a silently wrong model.
/// </summary>
internal static partial class OnnxEncoderImporter
{
    public static ImportedEncoder ImportFile(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: file not found.");
        return Import(Persistence.UserFile.ReadAllBytes(path, "ONNX model"), path);
    }

    public static ImportedEncoder Import(byte[] bytes, string source) => Import(OnnxReader.Read(bytes, source), source);

    public static ImportedEncoder Import(OnnxModel model, string source)
    {
        OnnxGraphChecks.Check(model, source);
        var graph = new OnnxGraphIndex(model, source);
        var structure = OnnxBertMatcher.Match(graph);
        var weights = Convert(graph, structure.Roles);
        return new ImportedEncoder(Config(structure, source), weights, model.Producer, model.DefaultOpset);
    }

    static SortedDictionary<string, ImportedWeight> Convert(OnnxGraphIndex g, IReadOnlyList<OnnxRole> roles)
    {
        var byInitializer = new Dictionary<string, OnnxRole>();
        var weights = new SortedDictionary<string, ImportedWeight>(StringComparer.Ordinal);
        foreach (var role in roles)
        {
            if (byInitializer.TryGetValue(role.Tensor.Name, out var first))
                throw new CheckpointException($"{g.Source}: initializer '{role.Tensor.Name}' serves as both {first.Name} ({first.Why}, {first.Node.Describe()}) " +
                    $"and {role.Name} ({role.Why}, {role.Node.Describe()}); a BERT encoder uses each weight once.");
            byInitializer[role.Tensor.Name] = role;
            if (HuggingFaceName(role.Tensor.Name) is { } named && named != role.Name)
                throw new CheckpointException($"{g.Source}: initializer '{role.Tensor.Name}' is named like the Hugging Face parameter '{named}', " +
                    $"but the graph uses it as {role.Name} ({role.Why}, {role.Node.Describe()}). The names and the structure disagree; " +
                    "refusing rather than guessing which one is right.");
            if (!weights.TryAdd(role.Name, Weight(role, g.Source)))
                throw new CheckpointException($"{g.Source}: two initializers were recovered as {role.Name} (the second: '{role.Tensor.Name}').");
        }
        var unused = g.Model.Graph.Initializers.Where(t => t.DataType == OnnxDataType.Float && !byInitializer.ContainsKey(t.Name)).ToList();
        if (unused.Count > 0)
            throw new CheckpointException($"{g.Source}: {unused.Count} float initializer(s) belong to no part of the BERT encoder the import recognised: " +
                string.Join(", ", unused.Take(12).Select(t => $"'{t.Name}' {t.ShapeText}")) + (unused.Count > 12 ? $", … {unused.Count - 12} more" : "") +
                ". The graph computes something besides a BERT encoder (a task head, extra layers); refusing rather than dropping weights.");
        return weights;
    }

    // BERT checkpoints' own names, optionally under the task prefix: (bert.)(embeddings|encoder|pooler).…
    [GeneratedRegex(@"^(?:bert\.)?((?:embeddings|encoder|pooler)\..+)$")]
    private static partial Regex HuggingFacePattern();

    static string? HuggingFaceName(string initializer) =>
        HuggingFacePattern().Match(initializer) is { Success: true } m ? StateDictLoader.Canonical(m.Groups[1].Value) : null;

    static ImportedWeight Weight(OnnxRole role, string source)
    {
        var values = role.Tensor.Floats();
        FiniteWeights.Check(values, role.Tensor.Name, source);
        if (!role.Transpose) return new ImportedWeight([.. role.Tensor.Dims], values);
        // MatMul stores [in, out]; torch's Linear holds [out, in].
        int rows = checked((int)role.Tensor.Dims[0]), cols = checked((int)role.Tensor.Dims[1]);
        var transposed = new float[values.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                transposed[j * rows + i] = values[i * cols + j];
        return new ImportedWeight([cols, rows], transposed);
    }

    static TransformerConfig Config(OnnxBertStructure s, string source)
    {
        var epsilons = s.Epsilons.Select(Decimal).Distinct().ToList();
        if (epsilons.Count != 1)
            throw new CheckpointException($"{source}: the LayerNorms use different epsilons ({string.Join(", ", epsilons)}); one encoder has one layer_norm_eps.");
        var config = new TransformerConfig
        {
            ModelType = "bert", VocabSize = checked((int)s.Vocab), HiddenSize = checked((int)s.Hidden), NumLayers = s.Layers,
            NumHeads = checked((int)s.Heads), IntermediateSize = checked((int)s.Intermediate), HiddenAct = s.Activation!,
            MaxPositionEmbeddings = checked((int)s.Positions), TypeVocabSize = checked((int)s.TypeVocab), LayerNormEps = epsilons[0],
            PadTokenId = 0,
            // An exported graph runs in eval mode and records no dropout; these are BertConfig's defaults.
            HiddenDropout = 0.1, AttentionDropout = 0.1,
        };
        config.Validate(source);
        return config;
    }

    // The graph stores eps as float32 (1e-12 becomes 9.99999996e-13); its shortest round-trip decimal is the value
    // the exporter's config had, which is what config.json would say.
    static double Decimal(double epsilon) => double.Parse(((float)epsilon).ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
