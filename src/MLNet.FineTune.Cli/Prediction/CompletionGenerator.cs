using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Cli.Prediction;

/// <summary>What a text-generation model is asked: a prompt (as the prompt column holds it), or a conversation so far.</summary>
internal sealed record CompletionQuery(string Prompt, IReadOnlyList<ChatTurn>? Turns, string Source);

/// <summary>
/// Completions of a fitted text-generation model for prompts or conversations, a batch per generation call: prompts are
/// encoded as training encoded them, conversations rendered with the model's chat template and generation prompt.
/// </summary>
internal static class CompletionGenerator
{
    public static IReadOnlyList<string> Generate(TextGenerationTransformer model, IReadOnlyList<CompletionQuery> queries, TextGenerationSettings settings)
    {
        settings.Validate("generation");
        if (queries.Any(q => q.Turns is not null) && model.Prompts.Format.Kind != PromptFormatKind.Chat)
            throw new UserError($"{queries.First(q => q.Turns is not null).Source}: a 'messages' conversation, but the model was trained on prompt/completion examples; give {{\"prompt\": ...}} lines.");
        var texts = new List<string>(queries.Count);
        foreach (var chunk in queries.Chunk(settings.BatchSize))
        {
            var ids = chunk.Select(q => q.Turns is { } turns ? model.Prompts.EncodeChat(turns, q.Source) : model.Prompts.EncodePrompt(q.Prompt, q.Source)).ToList();
            texts.AddRange(model.GenerateBatch(ids, settings.ToGenerationOptions(), default).Select(g => g.Text ?? ""));
        }
        return texts;
    }

    /// <summary>
    /// The model's generation settings with the command's flags: sampling when <c>--temperature</c> &gt; 0, <c>--top-p</c> &lt; 1
    /// or <c>--top-k</c> &gt; 0 is given, greedy otherwise (also with <c>--temperature 0</c>).
    /// </summary>
    public static TextGenerationSettings Settings(TextGenerationSettings saved, int? maxNewTokens, double? temperature, double? topP, int? topK, long? seed, int batchSize)
    {
        if (temperature is < 0 || temperature is { } t && !double.IsFinite(t)) throw new UserError($"--temperature {temperature}: must be 0 (greedy) or a positive number.");
        if (topP is { } p && !(p > 0 && p <= 1)) throw new UserError($"--top-p {topP}: must be in (0, 1]; 1 turns it off.");
        if (topK is < 0) throw new UserError($"--top-k {topK}: must be 0 (off) or positive.");
        if (maxNewTokens is < 1) throw new UserError($"--max-new-tokens {maxNewTokens}: must be at least 1.");
        bool sample = temperature is > 0 || topP is < 1 || topK is > 0;
        return saved with
        {
            DoSample = temperature == 0 ? false : sample || saved.DoSample,
            Temperature = temperature is > 0 ? temperature.Value : saved.Temperature,
            TopP = topP ?? saved.TopP, TopK = topK ?? saved.TopK,
            MaxNewTokens = maxNewTokens ?? saved.MaxNewTokens, Seed = seed ?? saved.Seed, BatchSize = batchSize,
        };
    }
}
