namespace MLNet.FineTune.Data;

/// <summary>
/// One valid line of a JSONL file. Which members are set depends on <see cref="Format"/>: <see cref="Text"/>
/// (+ <see cref="TextPair"/>) and <see cref="Label"/> for text formats, <see cref="Tokens"/>/<see cref="Tags"/> for
/// tagging, <see cref="Generative"/> for chat and prompt/completion.
/// </summary>
internal sealed record JsonlExample(int Line, JsonlFormat Format)
{
    public string? Text { get; init; }
    public string? TextPair { get; init; }

    /// <summary>The label as text: a JSON string as is, a number or boolean as written in the file; null when not given.</summary>
    public string? Label { get; init; }

    public IReadOnlyList<string>? Tokens { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
    public GenerativeExample? Generative { get; init; }
}

/// <summary>What the reader returns for one non-blank line: the example, or the first problem found in it.</summary>
internal readonly record struct JsonlEntry(int Line, JsonlExample? Example, DataIssue? Issue);
