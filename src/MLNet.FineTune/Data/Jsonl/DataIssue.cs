namespace MLNet.FineTune.Data;

/// <summary>
/// What is wrong with one line of a data file. The first seven are the kinds hosted fine-tuning services report for
/// JSONL; the rest cover what a byte stream can do to a line reader (bad UTF-8, a line too long to hold) and values
/// that parse but cannot be trained on.
/// </summary>
internal enum DataIssueKind
{
    /// <summary>The line is not one JSON value (syntax error, truncated line, duplicate key, nesting too deep).</summary>
    InvalidJson,

    /// <summary>A key the example's format needs is absent or <c>null</c>.</summary>
    MissingKey,

    /// <summary>A chat message's role is not system, user or assistant.</summary>
    UnrecognizedRole,

    /// <summary>A chat message has no content, or empty content.</summary>
    MissingContent,

    /// <summary>A chat has no assistant message to train on (none at all, or every one has weight 0).</summary>
    NoAssistantMessage,

    /// <summary>A value has the wrong JSON type (a number where text is expected, an object where an array is…).</summary>
    WrongType,

    /// <summary>A text field is empty or only whitespace.</summary>
    EmptyText,

    /// <summary>A value of the right type that is not allowed (a weight other than 0/1, tokens and tags of different lengths…).</summary>
    InvalidValue,

    /// <summary>The line's bytes are not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>The line is longer than the reader's cap; it was skipped without being held in memory.</summary>
    LineTooLong,

    /// <summary>A CSV/TSV/CoNLL row that cannot be split into the header's columns (field count, quoting).</summary>
    MalformedRow,
}

/// <summary>
/// One problem in a data file: where (<paramref name="File"/>, 1-based <paramref name="Line"/>, the JSON path or column
/// of <paramref name="Field"/>, empty when the whole line is at fault), what kind, and a message that says what was
/// expected. <see cref="ToString"/> is the one-line form users read: <c>train.jsonl:12: messages[1].role: ...</c>.
/// </summary>
internal sealed record DataIssue(string File, int Line, string Field, DataIssueKind Kind, string Message)
{
    /// <summary>The kind as written in machine-readable output, e.g. <c>missing_key</c>.</summary>
    public string KindName => KindNames[(int)Kind];

    static readonly string[] KindNames = Enum.GetNames<DataIssueKind>().Select(SnakeCase).ToArray();

    static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>Line 0 means the file as a whole (no examples at all, a format that does not match another file's).</summary>
    public override string ToString() =>
        (Line > 0 ? $"{File}:{Line}: " : $"{File}: ") + (Field.Length == 0 ? "" : $"{Field}: ") + $"{KindName}: {Message}";
}
