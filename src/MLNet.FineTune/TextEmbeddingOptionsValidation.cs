using MLNet.FineTune.Embeddings;
namespace MLNet.FineTune;

/// <summary>Checks <see cref="TextEmbeddingOptions"/> before any model is loaded; errors name the option and the fix.</summary>
internal static class TextEmbeddingOptionsValidation
{
    public static void Validate(TextEmbeddingOptions o)
    {
        int sources = (o.BaseModel is null ? 0 : 1) + (o.BaseModelFolder is null ? 0 : 1) + (o.FineTunedModel is null ? 0 : 1);
        if (sources != 1)
            throw new ArgumentException("TextEmbeddingOptions: set exactly one of BaseModel (a shipped pretrained model), BaseModelFolder (a checkpoint folder) " +
                "or FineTunedModel (a fitted FineTune model)" + (sources == 0 ? "; none is set." : "; several are set."), nameof(o.BaseModel));
        if (string.IsNullOrWhiteSpace(o.InputColumnName)) throw new ArgumentException("TextEmbeddingOptions.InputColumnName must name a text column.", nameof(o.InputColumnName));
        if (string.IsNullOrWhiteSpace(o.OutputColumnName)) throw new ArgumentException("TextEmbeddingOptions.OutputColumnName must be a column name.", nameof(o.OutputColumnName));
        if (o.Pooling is { } p && !Enum.IsDefined(p)) throw new ArgumentOutOfRangeException(nameof(o.Pooling), p, "TextEmbeddingOptions.Pooling must be Mean, Cls or Max (or null for the model's own).");
        if (o.Dimensions is <= 0) throw new ArgumentOutOfRangeException(nameof(o.Dimensions), o.Dimensions, "TextEmbeddingOptions.Dimensions must be positive (or null for the model's full size).");
        if (o.MaxSequenceLength is < 2) throw new ArgumentOutOfRangeException(nameof(o.MaxSequenceLength), o.MaxSequenceLength, "TextEmbeddingOptions.MaxSequenceLength must be at least 2 ([CLS] and [SEP]), or null for the model's own.");
        if (o.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(o.BatchSize), o.BatchSize, "TextEmbeddingOptions.BatchSize must be positive.");
    }

    /// <summary>Matryoshka truncation can only keep dimensions the encoder has.</summary>
    public static void CheckDimensions(int dimensions, int hiddenSize, string what)
    {
        if (dimensions <= 0 || dimensions > hiddenSize)
            throw new ArgumentOutOfRangeException(what, dimensions, $"{what} is {dimensions}, but the model's embeddings have {hiddenSize} dimensions; Matryoshka truncation keeps 1..{hiddenSize}.");
    }

    /// <summary>A loaded embedding.json is data, not trusted: the same bounds as options.</summary>
    public static void CheckSaved(EmbeddingSettings s)
    {
        if (s is null || string.IsNullOrWhiteSpace(s.InputColumn) || string.IsNullOrWhiteSpace(s.OutputColumn) || !Enum.IsDefined(s.Pooling)
            || s.MaxSequenceLength < 2 || s.BatchSize <= 0 || s.Dimensions <= 0)
            throw new Persistence.ModelPayloadException("model zip (embedding.json): invalid embedding settings " + s);
    }
}
