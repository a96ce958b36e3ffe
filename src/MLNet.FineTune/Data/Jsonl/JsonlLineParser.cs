using System.Text.Json;

namespace MLNet.FineTune.Data;

/// <summary>Reads one JSON object as a given <see cref="JsonlFormat"/>; on the first problem, records it in <see cref="Issue"/> and returns null.</summary>
internal sealed class JsonlLineParser(string file, int line, JsonlReaderOptions options)
{
    /// <summary>The problem that stopped parsing, when <see cref="Parse"/> returned null.</summary>
    public DataIssue? Issue { get; private set; }

    public JsonlExample? Parse(JsonElement root, JsonlFormat format) => format switch
    {
        JsonlFormat.Chat => Chat(root),
        JsonlFormat.PromptCompletion => PromptCompletion(root),
        JsonlFormat.TokensTags => TokensTags(root),
        _ => TextLabel(root, format),
    };

    JsonlExample? Chat(JsonElement root)
    {
        if (!Required(root, "messages", "", out var messages)) return null;
        if (ChatTurns(messages, "messages") is not { } turns) return null;
        return new JsonlExample(line, JsonlFormat.Chat) { Generative = GenerativeExample.Chat(turns, $"{file}:{line}") };
    }

    /// <summary>
    /// The turns of an OpenAI-style <c>messages</c> array (a JSONL line's field, or a whole IDataView cell), errors
    /// naming <paramref name="field"/> and the message index; null with <see cref="Issue"/> set on the first problem.
    /// </summary>
    public List<ChatTurn>? ChatTurns(JsonElement messages, string field)
    {
        if (messages.ValueKind != JsonValueKind.Array) return FailNull<List<ChatTurn>>(field, DataIssueKind.WrongType, $"expected an array of messages, found {Describe(messages)}");
        var turns = new List<ChatTurn>();
        int index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = $"{field}[{index++}]";
            if (message.ValueKind != JsonValueKind.Object) return FailNull<List<ChatTurn>>(path, DataIssueKind.WrongType, $"expected a message object {{\"role\": ..., \"content\": ...}}, found {Describe(message)}");
            if (!Required(message, "role", path, out var roleValue)) return null;
            if (roleValue.ValueKind != JsonValueKind.String) return FailNull<List<ChatTurn>>(path + ".role", DataIssueKind.WrongType, $"expected a string (system, user or assistant), found {Describe(roleValue)}");
            ChatRole? role = roleValue.GetString() switch { "system" => ChatRole.System, "user" => ChatRole.User, "assistant" => ChatRole.Assistant, _ => null };
            if (role is null) return FailNull<List<ChatTurn>>(path + ".role", DataIssueKind.UnrecognizedRole, $"unrecognized role '{Shorten(roleValue.GetString()!)}'; expected system, user or assistant");
            if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
                return FailNull<List<ChatTurn>>(path + ".content", DataIssueKind.MissingContent, $"the {roleValue.GetString()} message has no content");
            if (content.ValueKind != JsonValueKind.String) return FailNull<List<ChatTurn>>(path + ".content", DataIssueKind.WrongType, $"expected a string, found {Describe(content)}");
            var contentText = content.GetString()!;
            if (string.IsNullOrWhiteSpace(contentText)) return FailNull<List<ChatTurn>>(path + ".content", DataIssueKind.MissingContent, $"the {roleValue.GetString()} message's content is empty");
            int? weight = null;
            if (message.TryGetProperty("weight", out var weightValue) && weightValue.ValueKind != JsonValueKind.Null)
            {
                if (weightValue.ValueKind != JsonValueKind.Number) return FailNull<List<ChatTurn>>(path + ".weight", DataIssueKind.WrongType, $"expected 0 or 1, found {Describe(weightValue)}");
                if (!weightValue.TryGetInt32(out int w) || w is not (0 or 1)) return FailNull<List<ChatTurn>>(path + ".weight", DataIssueKind.InvalidValue, $"expected 0 or 1, found {weightValue.GetRawText()}");
                if (role != ChatRole.Assistant) return FailNull<List<ChatTurn>>(path + ".weight", DataIssueKind.InvalidValue, "a weight is allowed on assistant messages only");
                weight = w;
            }
            turns.Add(new ChatTurn(role.Value, contentText, weight));
        }
        // Prediction input (labels not required) is the conversation so far: it need not hold an assistant reply yet.
        if (!options.RequireLabels && turns.Count > 0) return turns;
        if (!turns.Any(t => t.Role == ChatRole.Assistant))
            return FailNull<List<ChatTurn>>(field, DataIssueKind.NoAssistantMessage, turns.Count == 0 ? "the conversation is empty; it needs at least one assistant message" : "no assistant message; the model is trained on assistant messages");
        if (!turns.Any(t => t.IsTrained))
            return FailNull<List<ChatTurn>>(field, DataIssueKind.NoAssistantMessage, "every assistant message has weight 0; at least one needs weight 1 (or no weight) to train on");
        return turns;
    }

    JsonlExample? PromptCompletion(JsonElement root)
    {
        if (String(root, "prompt", allowEmpty: true) is not { } prompt) return null;
        // Prediction input (labels not required) may be a prompt alone: the completion is what is asked for.
        if (!options.RequireLabels && !(root.TryGetProperty("completion", out var given) && given.ValueKind != JsonValueKind.Null))
            return new JsonlExample(line, JsonlFormat.PromptCompletion) { Generative = GenerativeExample.PromptCompletion(prompt, "", $"{file}:{line}") };
        if (String(root, "completion", allowEmpty: false) is not { } completion) return null;
        return new JsonlExample(line, JsonlFormat.PromptCompletion) { Generative = GenerativeExample.PromptCompletion(prompt, completion, $"{file}:{line}") };
    }

    JsonlExample? TextLabel(JsonElement root, JsonlFormat format)
    {
        if (String(root, options.TextField, allowEmpty: false) is not { } text) return null;
        string? pair = null;
        if (format == JsonlFormat.TextPairLabel && (pair = String(root, options.TextPairField, allowEmpty: false)) is null) return null;
        string? label = null;
        if (root.TryGetProperty(options.LabelField, out var labelValue) && labelValue.ValueKind != JsonValueKind.Null)
        {
            label = labelValue.ValueKind switch
            {
                JsonValueKind.String => labelValue.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => labelValue.GetRawText(),
                _ => null,
            };
            if (label is null) return Fail(options.LabelField, DataIssueKind.WrongType, $"expected a string, number or boolean, found {Describe(labelValue)}");
            if (string.IsNullOrWhiteSpace(label)) return Fail(options.LabelField, DataIssueKind.EmptyText, "the label is empty");
        }
        else if (options.RequireLabels) return Fail(options.LabelField, DataIssueKind.MissingKey, $"missing key '{options.LabelField}' (the example's label)");
        return new JsonlExample(line, format) { Text = text, TextPair = pair, Label = label };
    }

    JsonlExample? TokensTags(JsonElement root)
    {
        if (StringArray(root, "tokens") is not { } tokens) return null;
        if (tokens.Count == 0) return Fail("tokens", DataIssueKind.EmptyText, "the sentence has no tokens");
        List<string>? tags = null;
        if (root.TryGetProperty("tags", out var tagsValue) && tagsValue.ValueKind != JsonValueKind.Null)
        {
            if ((tags = StringArray(root, "tags")) is null) return null;
            if (tags.Count != tokens.Count) return Fail("tags", DataIssueKind.InvalidValue, $"{tags.Count} tags for {tokens.Count} tokens; expected one tag per token");
        }
        else if (options.RequireLabels) return Fail("tags", DataIssueKind.MissingKey, "missing key 'tags' (one tag per token)");
        return new JsonlExample(line, JsonlFormat.TokensTags) { Tokens = tokens, Tags = tags };
    }

    List<string>? StringArray(JsonElement root, string key)
    {
        if (!Required(root, key, "", out var value)) return null;
        if (value.ValueKind != JsonValueKind.Array) return FailNull<List<string>>(key, DataIssueKind.WrongType, $"expected an array of strings, found {Describe(value)}");
        var items = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            var path = $"{key}[{items.Count}]";
            if (item.ValueKind != JsonValueKind.String) return FailNull<List<string>>(path, DataIssueKind.WrongType, $"expected a string, found {Describe(item)}");
            var s = item.GetString()!;
            if (string.IsNullOrWhiteSpace(s)) return FailNull<List<string>>(path, DataIssueKind.EmptyText, "empty string");
            items.Add(s);
        }
        return items;
    }

    string? String(JsonElement root, string key, bool allowEmpty)
    {
        if (!Required(root, key, "", out var value)) return null;
        if (value.ValueKind != JsonValueKind.String) return FailNull<string>(key, DataIssueKind.WrongType, $"expected a string, found {Describe(value)}");
        var s = value.GetString()!;
        if (!allowEmpty && string.IsNullOrWhiteSpace(s)) return FailNull<string>(key, DataIssueKind.EmptyText, $"'{key}' is empty");
        return s;
    }

    bool Required(JsonElement obj, string key, string parent, out JsonElement value)
    {
        if (obj.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null) return true;
        var path = parent.Length == 0 ? key : $"{parent}.{key}";
        Fail(path, DataIssueKind.MissingKey, $"missing key '{key}'");
        return false;
    }

    JsonlExample? Fail(string field, DataIssueKind kind, string message)
    {
        Issue ??= new DataIssue(file, line, field, kind, message);
        return null;
    }

    T? FailNull<T>(string field, DataIssueKind kind, string message) where T : class
    {
        Fail(field, kind, message);
        return null;
    }

    static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>A JSON value's type in words, for "found ..." messages.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {Shorten(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        _ => "null",
    };
}
