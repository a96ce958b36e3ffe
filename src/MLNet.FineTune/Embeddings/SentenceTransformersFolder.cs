using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Embeddings;

/// <summary>What a sentence-transformers folder says about pooling and length (1_Pooling/config.json, sentence_bert_config.json).</summary>
internal static class SentenceTransformersFolder
{
    /// <summary>sentence-transformers' all-MiniLM-L6-v2 max_seq_length (what its ONNX package truncates at too).</summary>
    public const int DefaultMaxSequenceLength = 256;

    public static EmbeddingPooling? Pooling(string folder)
    {
        var path = Path.Combine(folder, "1_Pooling", "config.json");
        if (!File.Exists(path)) return null;
        var json = JsonFields.Read(path, "sentence-transformers pooling config");
        var modes = new (string Key, EmbeddingPooling? Mode)[]
        {
            ("pooling_mode_cls_token", EmbeddingPooling.Cls), ("pooling_mode_mean_tokens", EmbeddingPooling.Mean), ("pooling_mode_max_tokens", EmbeddingPooling.Max),
            ("pooling_mode_mean_sqrt_len_tokens", null), ("pooling_mode_weightedmean_tokens", null), ("pooling_mode_lasttoken", null),
        };
        var on = modes.Where(m => json.Bool(m.Key) == true).ToList();
        if (on.Count == 0) return null;
        if (on.Count > 1 || on[0].Mode is null)
            throw new NotSupportedException($"{path} asks for pooling {string.Join(" + ", on.Select(m => m.Key))}; supported: exactly one of mean, cls or max. Set TextEmbeddingOptions.Pooling to override.");
        return on[0].Mode;
    }

    public static int? MaxSequenceLength(string folder)
    {
        var path = Path.Combine(folder, "sentence_bert_config.json");
        return File.Exists(path) ? JsonFields.Read(path, "sentence-transformers config").Int("max_seq_length") : null;
    }
}
