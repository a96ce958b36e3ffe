using MLNet.FineTune.Modeling.Checkpoints;

namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>
/// A checkpoint folder whose weights are a <c>model.onnx</c> (BERT export) instead of safetensors, with tokenizer files
/// beside it and optionally a config.json. The folder gives the same config, state dict and weights identity a
/// safetensors folder gives; without a config.json the config is the one recovered from the graph.
/// </summary>
internal static class OnnxCheckpoint
{
    public const string FileName = "model.onnx";

    sealed record Summary(TransformerConfig Config, string Sha256);

    // The estimator asks a folder for its config, identity and weights separately; converting a 90 MB graph once per
    // question would triple the cost. Small results stay cached per file version; the converted weights only weakly
    // (they are as large as the model), so a second conversion happens only if the GC took them in between.
    static readonly Dictionary<(string Path, long Length, DateTime Written), Summary> summaries = new();
    static readonly Dictionary<(string Path, long Length, DateTime Written), WeakReference<ImportedEncoder>> converted = new();
    static readonly object gate = new();

    public static string PathIn(string folder) => Path.Combine(folder, FileName);

    /// <summary>The encoder converted from the folder's model.onnx.</summary>
    public static ImportedEncoder Load(string folder)
    {
        var path = PathIn(folder);
        var key = Key(path);
        lock (gate)
        {
            if (converted.TryGetValue(key, out var weak) && weak.TryGetTarget(out var cached)) return cached;
            var encoder = OnnxEncoderImporter.ImportFile(path);
            converted[key] = new WeakReference<ImportedEncoder>(encoder);
            summaries[key] = new Summary(encoder.Config, encoder.Sha256);
            return encoder;
        }
    }

    /// <summary>sha256 of the converted weights (<see cref="ImportedEncoder.Sha256"/>), not of the .onnx file.</summary>
    public static string WeightsSha256(string folder) => Summarize(folder).Sha256;

    /// <summary>
    /// The folder's config.json checked against the graph, or, without one, the config recovered from the graph.
    /// A config.json that disagrees with the graph would build a model the weights do not fit (or fit silently wrong:
    /// heads, activation and epsilon have no shape to catch them), so any disagreement is an error.
    /// </summary>
    public static TransformerConfig Config(string folder)
    {
        var fromGraph = Summarize(folder).Config;
        var json = Path.Combine(folder, "config.json");
        if (!File.Exists(json)) return fromGraph;
        var declared = TransformerConfig.Load(json);
        var differences = new List<string>();
        void Compare(string field, object graph, object file) { if (!Equals(graph, file)) differences.Add($"{field}: graph {graph}, config.json {file}"); }
        Compare("model_type", fromGraph.ModelType, declared.ModelType);
        Compare("vocab_size", fromGraph.VocabSize, declared.VocabSize);
        Compare("hidden_size", fromGraph.HiddenSize, declared.HiddenSize);
        Compare("num_hidden_layers", fromGraph.NumLayers, declared.NumLayers);
        Compare("num_attention_heads", fromGraph.NumHeads, declared.NumHeads);
        Compare("intermediate_size", fromGraph.IntermediateSize, declared.IntermediateSize);
        Compare("hidden_act", fromGraph.HiddenAct, declared.HiddenAct);
        Compare("max_position_embeddings", fromGraph.MaxPositionEmbeddings, declared.MaxPositionEmbeddings);
        Compare("type_vocab_size", fromGraph.TypeVocabSize, declared.TypeVocabSize);
        if (Math.Abs(fromGraph.LayerNormEps - declared.LayerNormEps) > 1e-6 * declared.LayerNormEps)
            differences.Add($"layer_norm_eps: graph {fromGraph.LayerNormEps:G6}, config.json {declared.LayerNormEps:G6}");
        if (differences.Count > 0)
            throw new CheckpointException($"{json} does not describe {PathIn(folder)}: {string.Join("; ", differences)}. " +
                "Remove config.json to use the configuration recovered from the graph, or put the matching model beside it.");
        return declared;
    }

    static Summary Summarize(string folder)
    {
        var key = Key(PathIn(folder));
        lock (gate) if (summaries.TryGetValue(key, out var summary)) return summary;
        var encoder = Load(folder);
        return new Summary(encoder.Config, encoder.Sha256);
    }

    static (string, long, DateTime) Key(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new CheckpointException($"{path}: file not found.");
        return (info.FullName, info.Length, info.LastWriteTimeUtc);
    }
}
