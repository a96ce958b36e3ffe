using System.Text.Json;

namespace MLNet.FineTune.Data;

/// <summary>
/// Reads an OpenAI-style chat <c>messages</c> JSON text held in one field, e.g. an IDataView cell:
/// <c>[{"role": "user", "content": "..."}, {"role": "assistant", "content": "...", "weight": 1}]</c> (or a whole
/// JSONL-style object with a <c>messages</c> key). The same parser and checks as chat JSONL files
/// (<see cref="JsonlLineParser"/>): roles system/user/assistant, non-empty string content, weight 0/1 on assistant
/// turns, at least one trained assistant turn.
/// </summary>
internal static class ChatMessagesParser
{
    /// <summary>The turns of <paramref name="json"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where the text came from, e.g. <c>row 12</c> or <c>train.jsonl:3</c>.</param>
    /// <param name="field">The column or field name, e.g. <c>Messages</c>; error paths start with it (<c>Messages[1].role</c>).</param>
    /// <exception cref="InvalidDataException">The text is not a valid conversation; the message is the <see cref="DataIssue"/> line (source, field path, kind, what was expected).</exception>
    public static IReadOnlyList<ChatTurn> Parse(string? json, string source, string field) =>
        TryParse(json, source, field, out var turns) is { } issue ? throw new InvalidDataException(issue.ToString()) : turns!;

    /// <summary>The same as <see cref="Parse"/>, returning the problem instead of throwing (null when <paramref name="turns"/> is set).</summary>
    public static DataIssue? TryParse(string? json, string source, string field, out IReadOnlyList<ChatTurn>? turns)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(field);
        turns = null;
        if (string.IsNullOrWhiteSpace(json))
            return new DataIssue(source, 0, field, DataIssueKind.MissingContent, "empty; expected a JSON array of messages [{\"role\": ..., \"content\": ...}]");
        JsonDocument document;
        try { document = JsonDocument.Parse(json, JsonlReader.Strict); }
        catch (JsonException e)
        {
            return new DataIssue(source, 0, field, DataIssueKind.InvalidJson, $"not valid JSON ({JsonlReader.FirstSentence(e.Message)}); expected a JSON array of messages [{{\"role\": ..., \"content\": ...}}]");
        }
        using (document)
        {
            var root = document.RootElement;
            var parser = new JsonlLineParser(source, 0, new JsonlReaderOptions());
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("messages", out var messages))
                turns = parser.ChatTurns(messages, field + ".messages");
            else if (root.ValueKind == JsonValueKind.Object)
                return new DataIssue(source, 0, field, DataIssueKind.MissingKey, "an object without 'messages'; expected a JSON array of messages or an object with a 'messages' array");
            else
                turns = parser.ChatTurns(root, field);
            return parser.Issue;
        }
    }
}
