namespace MLNet.FineTune.Data;

/// <summary>The shapes of a JSONL example the tool and the trainers read; each line of a file has one.</summary>
internal enum JsonlFormat
{
    /// <summary><c>{"messages": [{"role": "system|user|assistant", "content": "...", "weight": 0|1}, ...]}</c>.</summary>
    Chat,

    /// <summary><c>{"prompt": "...", "completion": "..."}</c>.</summary>
    PromptCompletion,

    /// <summary><c>{"text": "...", "label": ...}</c> (classification or regression).</summary>
    TextLabel,

    /// <summary><c>{"text": "...", "text_pair": "...", "label": ...}</c> (sentence pairs).</summary>
    TextPairLabel,

    /// <summary><c>{"tokens": ["..."], "tags": ["B-PER", ...]}</c> (entity tagging).</summary>
    TokensTags,
}

/// <summary>The key names of the formats, as written in files and messages.</summary>
internal static class JsonlFormats
{
    /// <summary>How a format looks, for "expected ..." messages.</summary>
    public static string Describe(JsonlFormat format, JsonlReaderOptions options) => format switch
    {
        JsonlFormat.Chat => "chat ('messages')",
        JsonlFormat.PromptCompletion => "prompt/completion ('prompt', 'completion')",
        JsonlFormat.TextLabel => $"text/label ('{options.TextField}', '{options.LabelField}')",
        JsonlFormat.TextPairLabel => $"text pair/label ('{options.TextField}', '{options.TextPairField}', '{options.LabelField}')",
        _ => "tokens/tags ('tokens', 'tags')",
    };

    /// <summary>The name written in machine-readable output, e.g. <c>prompt_completion</c>.</summary>
    public static string Name(JsonlFormat format) => format switch
    {
        JsonlFormat.Chat => "chat",
        JsonlFormat.PromptCompletion => "prompt_completion",
        JsonlFormat.TextLabel => "text_label",
        JsonlFormat.TextPairLabel => "text_pair_label",
        _ => "tokens_tags",
    };
}
