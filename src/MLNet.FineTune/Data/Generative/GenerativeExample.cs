namespace MLNet.FineTune.Data;

/// <summary>
/// One generative training example as read from JSONL: either a chat (<see cref="Turns"/>) or a prompt/completion
/// pair (<see cref="Prompt"/> and <see cref="Completion"/>). <see cref="Source"/> says where it came from
/// (<c>file:line</c>) so that later errors (too long after templating, no trained tokens) can point at the line.
/// </summary>
internal sealed record GenerativeExample
{
    /// <summary>The chat turns in order, or null for a prompt/completion example.</summary>
    public IReadOnlyList<ChatTurn>? Turns { get; init; }

    /// <summary>The prompt of a prompt/completion example, or null for a chat.</summary>
    public string? Prompt { get; init; }

    /// <summary>The completion of a prompt/completion example, or null for a chat.</summary>
    public string? Completion { get; init; }

    /// <summary>Where the example was read from, e.g. <c>train.jsonl:12</c>; empty when built in code.</summary>
    public string Source { get; init; } = "";

    /// <summary>Whether this is a chat example.</summary>
    public bool IsChat => Turns is not null;

    /// <summary>A chat example.</summary>
    public static GenerativeExample Chat(IReadOnlyList<ChatTurn> turns, string source = "") => new() { Turns = turns, Source = source };

    /// <summary>A prompt/completion example.</summary>
    public static GenerativeExample PromptCompletion(string prompt, string completion, string source = "") =>
        new() { Prompt = prompt, Completion = completion, Source = source };
}
