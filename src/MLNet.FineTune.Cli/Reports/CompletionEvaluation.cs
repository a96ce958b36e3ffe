using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Cli.Prediction;
using MLNet.FineTune.Cli.Training;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Cli.Reports;

/// <summary>
/// <c>evaluate</c> on a text-generation model: validation loss and perplexity on the completion (or assistant) tokens, as
/// training's validation computes them, and exact match of greedy completions with the references (both trimmed);
/// errors.jsonl lists each mismatch.
/// </summary>
internal static class CompletionEvaluation
{
    public static ModelEvaluation Run(TextGenerationTransformer model, CompletionData data, int? maxNewTokens)
    {
        bool chatModel = model.Prompts.Format.Kind == PromptFormatKind.Chat;
        if (data.IsChat != chatModel)
            throw new UserError($"{Path.GetFileName(data.Path)}: {(data.IsChat ? "chat" : "prompt/completion")} examples, but the model was trained on {(chatModel ? "chat" : "prompt/completion")} examples; evaluate it on the same kind.");
        var metrics = new Dictionary<string, double>(Loss(model, data));
        var settings = CompletionGenerator.Settings(model.Generation, maxNewTokens, temperature: 0, topP: null, topK: null, seed: null, model.Generation.BatchSize);
        var queries = Enumerable.Range(0, data.Count).Select(r => data.Query(r)).ToList();
        var generated = CompletionGenerator.Generate(model, queries.Select((q, r) => new CompletionQuery(q.Prompt, q.Turns, $"{Path.GetFileName(data.Path)}:{data.Lines[r]}")).ToList(), settings);
        var errors = new List<Dictionary<string, object?>>();
        for (int r = 0; r < data.Count; r++)
        {
            if (generated[r].Trim() == queries[r].Reference.Trim()) continue;
            var row = new Dictionary<string, object?> { ["line"] = data.Lines[r] };
            if (queries[r].Turns is { } turns) row["messages"] = turns.Select(t => new Dictionary<string, string> { ["role"] = t.Role.ToString().ToLowerInvariant(), ["content"] = t.Content }).ToList();
            else row["prompt"] = queries[r].Prompt;
            row["reference"] = queries[r].Reference;
            row["completion"] = generated[r];
            errors.Add(row);
        }
        metrics["exact_match"] = (data.Count - errors.Count) / (double)data.Count;
        return new ModelEvaluation { Task = CliTasks.Name(CliTask.Completions), Rows = data.Count, Metrics = metrics, PerClass = [], Errors = errors };
    }

    /// <summary>Mean cross-entropy over the trained tokens (completion + EOS, or assistant turns), token-weighted, and its exp.</summary>
    static IReadOnlyDictionary<string, double> Loss(TextGenerationTransformer model, CompletionData data)
    {
        var package = model.Model.Package;
        var encoder = TextGenerationEncoding.Encoder(package, model.Prompts.Format, TextGenerationLoss.CompletionOnly, model.Settings.MaxSequenceLength);
        try
        {
            var source = TextGenerationEncoding.BatchSource(encoder, data.Examples, package.Tokenizer.PadTokenId, packToLength: null);
            return CausalLmEvaluation.Evaluate(model.Model.Decoder, source, model.Generation.BatchSize);
        }
        catch (InvalidDataException e) { throw new UserError(e.Message); }
    }
}
