using System.Text.Json;
using Microsoft.ML;
using MLNet.FineTune.Cli.DataFiles;
using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// <c>--task completions</c> data: prompt/completion or chat (<c>messages</c>) JSONL, read by the reader <c>validate</c> uses,
/// so a bad line fails with the same <c>file:line: field: kind: message</c>.
/// </summary>
internal sealed class CompletionData
{
    public required string Path { get; init; }
    public required List<GenerativeExample> Examples { get; init; }
    /// <summary>1-based line of each example in the file.</summary>
    public required List<int> Lines { get; init; }

    public int Count => Examples.Count;
    public bool IsChat => Examples[0].IsChat;

    /// <summary>Column names inside the data views the CLI builds (the estimator's defaults, plus the chat column).</summary>
    public const string PromptColumn = "Prompt", CompletionColumn = "Completion", MessagesColumn = "Messages";

    /// <summary>Reads <paramref name="path"/> (JSONL); with <paramref name="forPrediction"/>, prompts without completion and chats without a reply are accepted.</summary>
    public static CompletionData Read(string path, bool forPrediction = false)
    {
        if (!File.Exists(path)) throw new UserError($"data file '{path}' does not exist.");
        if (DataFileFormats.Resolve(null, path) != DataFileFormat.Jsonl)
            throw new UserError($"{path}: --task completions reads JSONL ({{\"prompt\": ..., \"completion\": ...}} or {{\"messages\": [...]}} per line).");
        var file = LabelledData.LoadValid(path, DataFileFormat.Jsonl, new DataColumns(RequireLabels: !forPrediction));
        if (file.Examples[0] is { Format: not (JsonlFormat.PromptCompletion or JsonlFormat.Chat) } first)
            throw new UserError($"{file.Name}:{first.Line}: the examples are {file.FormatName}, but --task completions reads prompt_completion or chat ('messages').");
        return new CompletionData { Path = path, Examples = file.Examples.Select(e => e.Generative!).ToList(), Lines = file.Examples.Select(e => e.Line).ToList() };
    }

    /// <summary>The examples as the estimator reads them: Prompt + Completion, or Messages (each chat as its JSON array).</summary>
    public IDataView ToDataView(MLContext ml) => IsChat
        ? ml.Data.LoadFromEnumerable(Examples.Select(e => new ChatRow { Messages = MessagesJson(e.Turns!) }))
        : ml.Data.LoadFromEnumerable(Examples.Select(e => new PromptRow { Prompt = e.Prompt!, Completion = e.Completion! }));

    /// <summary>
    /// What a model is asked and what it should answer: a prompt and its completion, or a chat's turns before its last
    /// assistant turn and that turn's content (a chat without assistant turn: all its turns, no reference).
    /// </summary>
    public (string Prompt, IReadOnlyList<ChatTurn>? Turns, string Reference) Query(int row)
    {
        var e = Examples[row];
        if (!e.IsChat) return (e.Prompt!, null, e.Completion!);
        int last = e.Turns!.Count - 1;
        while (last >= 0 && e.Turns[last].Role != ChatRole.Assistant) last--;
        if (last < 0) return (e.Turns[^1].Content, e.Turns, "");
        var turns = e.Turns.Take(last).ToList();
        return (turns.LastOrDefault()?.Content ?? "", turns, e.Turns[last].Content);
    }

    static string MessagesJson(IReadOnlyList<ChatTurn> turns) => JsonSerializer.Serialize(turns.Select(t => new Dictionary<string, object?>
    {
        ["role"] = t.Role.ToString().ToLowerInvariant(), ["content"] = t.Content, ["weight"] = t.Weight,
    }).Select(m => m.Where(kv => kv.Value is not null).ToDictionary()));

    sealed class PromptRow { public string Prompt { get; set; } = ""; public string Completion { get; set; } = ""; }
    sealed class ChatRow { public string Messages { get; set; } = ""; }
}
