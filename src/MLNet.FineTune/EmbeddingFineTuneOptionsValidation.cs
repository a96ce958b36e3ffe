using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Peft;

namespace MLNet.FineTune;

/// <summary>Checks <see cref="EmbeddingFineTuneOptions"/> before any data is read or model loaded; errors name the option, the value and the fix.</summary>
internal static class EmbeddingFineTuneOptionsValidation
{
    public static void Validate(EmbeddingFineTuneOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if ((o.BaseModel is null) == (o.BaseModelFolder is null))
            throw new ArgumentException("EmbeddingFineTuneOptions: set exactly one of BaseModel (a shipped pretrained model) or BaseModelFolder (a checkpoint folder)" +
                (o.BaseModel is null ? "; none is set." : "; both are set."), nameof(o.BaseModel));
        if (o.BaseModelFolder is { } folder && !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"EmbeddingFineTuneOptions.BaseModelFolder '{folder}' does not exist.");
        if (!Enum.IsDefined(o.Loss))
            throw new ArgumentOutOfRangeException(nameof(o.Loss), o.Loss, $"EmbeddingFineTuneOptions.Loss must be one of {string.Join(", ", Enum.GetNames<ContrastiveLoss>())}.");
        foreach (var (name, value) in ColumnOptions(o))
            if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"EmbeddingFineTuneOptions.{name} must name a column (got '{value}').", name);
        if (o.FirstColumnName == o.SecondColumnName)
            throw new ArgumentException($"EmbeddingFineTuneOptions.FirstColumnName and SecondColumnName are both '{o.FirstColumnName}'; a pair needs two text columns.", nameof(o.SecondColumnName));
        if (!(float.IsFinite(o.Scale) && o.Scale > 0))
            throw new ArgumentOutOfRangeException(nameof(o.Scale), o.Scale, "EmbeddingFineTuneOptions.Scale must be a finite number > 0 (sentence-transformers' default is 20).");
        if (!(float.IsFinite(o.Margin) && o.Margin > 0))
            throw new ArgumentOutOfRangeException(nameof(o.Margin), o.Margin, "EmbeddingFineTuneOptions.Margin must be a finite cosine distance > 0 (sentence-transformers' default is 0.5).");
        if (o.Pooling is { } p && !Enum.IsDefined(p))
            throw new ArgumentOutOfRangeException(nameof(o.Pooling), p, "EmbeddingFineTuneOptions.Pooling must be Mean, Cls or Max (or null for the model's own).");
        if (o.Dimensions is <= 0)
            throw new ArgumentOutOfRangeException(nameof(o.Dimensions), o.Dimensions, "EmbeddingFineTuneOptions.Dimensions must be positive (or null for the model's full size).");
        if (o.MaxSequenceLength is < 2)
            throw new ArgumentOutOfRangeException(nameof(o.MaxSequenceLength), o.MaxSequenceLength, "EmbeddingFineTuneOptions.MaxSequenceLength must be at least 2 ([CLS] and [SEP]), or null for the model's own.");
        if (o.Peft is null) throw new ArgumentNullException(nameof(o.Peft), "EmbeddingFineTuneOptions.Peft must not be null (new PeftOptions() is full fine-tuning).");
        if (o.Peft.Method is not (PeftMethod.Full or PeftMethod.Lora or PeftMethod.BitFit))
            throw new NotSupportedException($"EmbeddingFineTuneOptions.Peft.Method {o.Peft.Method} is not supported for embedding fine-tuning: " +
                "use Full, Lora (merged into the weights after training) or BitFit. HeadOnly would train nothing (there is no head); " +
                "adapters and prompt tuning would change the encoder's structure.");
        if (o.Peft.AdapterPerTask)
            throw new ArgumentException("EmbeddingFineTuneOptions.Peft.AdapterPerTask needs several task heads; an embedding model has none. Set it to false.", nameof(o.Peft));
        o.Peft.Validate(1);
        o.Training?.Validate();
    }

    static IEnumerable<(string Name, string Value)> ColumnOptions(EmbeddingFineTuneOptions o) =>
    [
        (nameof(o.FirstColumnName), o.FirstColumnName), (nameof(o.SecondColumnName), o.SecondColumnName),
        (nameof(o.ScoreColumnName), o.ScoreColumnName), (nameof(o.LabelColumnName), o.LabelColumnName),
        (nameof(o.InputColumnName), o.InputColumnName), (nameof(o.OutputColumnName), o.OutputColumnName),
    ];
}
