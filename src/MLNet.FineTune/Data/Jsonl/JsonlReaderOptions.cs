namespace MLNet.FineTune.Data;

/// <summary>How <see cref="JsonlReader"/> reads a file.</summary>
internal sealed record JsonlReaderOptions
{
    /// <summary>Default <see cref="MaxLineBytes"/>: 8 MiB, far above any real example and small enough to hold.</summary>
    public const int DefaultMaxLineBytes = 8 << 20;

    /// <summary>The format every line must have; null = the first valid line's format (later lines must match it).</summary>
    public JsonlFormat? Format { get; init; }

    /// <summary>Whether examples need a label (training, evaluation); false for prediction input, which may also be a prompt without completion or a chat without assistant reply.</summary>
    public bool RequireLabels { get; init; } = true;

    /// <summary>Key of the text (default <c>text</c>).</summary>
    public string TextField { get; init; } = "text";

    /// <summary>Key of the second text of a pair (default <c>text_pair</c>).</summary>
    public string TextPairField { get; init; } = "text_pair";

    /// <summary>Key of the label (default <c>label</c>).</summary>
    public string LabelField { get; init; } = "label";

    /// <summary>Longest line read, in bytes; a longer line is one <see cref="DataIssueKind.LineTooLong"/> issue, skipped.</summary>
    public int MaxLineBytes { get; init; } = DefaultMaxLineBytes;
}
