using MLNet.FineTune.Data;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Training;

namespace MLNet.FineTune;

/// <summary>
/// The data side of text-generation training as the estimator uses it, over Data/Generative's encoder: examples →
/// token ids and labels (completion or assistant tokens only, or all), batched for <c>Trainer&lt;CausalLmBatch&gt;</c>.
/// <see cref="TextGenerationPrompts"/> uses the same encoder, so generation starts from exactly the text training saw.
/// </summary>
internal static class TextGenerationEncoding
{
    /// <summary>The encoder of a model's prompt format (the chat template resolved from its saved name or text).</summary>
    public static GenerativeExampleEncoder Encoder(DecoderPackage package, PromptFormat format, TextGenerationLoss loss, int maxLength) =>
        new(package.Tokenizer, Template(format.ChatTemplate), new GenerativeEncodingOptions
        {
            MaxLength = maxLength,
            LossTokens = loss == TextGenerationLoss.AllTokens ? GenerativeLossTokens.AllTokens : GenerativeLossTokens.CompletionOnly,
        });

    /// <summary>
    /// The template a chat model uses: the options' name or Jinja text, else the checkpoint's <c>chat_template</c>, else
    /// ChatML. Resolved once at Fit and saved as text, so a loaded model renders as the fitted one did.
    /// </summary>
    public static string ResolveTemplate(string? requested, DecoderPackage package) => requested ?? "chatml";

    static ChatTemplate Template(string? nameOrJinja) => (nameOrJinja ?? "chatml") switch
    {
        "chatml" => ChatTemplate.ChatMl,
        "qwen2" => ChatTemplate.Qwen2,
        var other => throw new NotSupportedException($"Chat template '{other}' is not supported (built in: chatml, qwen2)."),
    };

    /// <summary>Encoded examples as a batch source: right-padded batches (dynamic padding), or packed rows.</summary>
    public static IBatchSource<CausalLmBatch> BatchSource(GenerativeExampleEncoder encoder, IReadOnlyList<GenerativeExample> examples, int padId, bool packing)
    {
        var sequences = encoder.EncodeAll(examples).Select(e => new CausalLmSequence(e.InputIds, e.Labels)).ToList();
        if (packing) throw new NotSupportedException("TextGenerationFineTuneOptions.Packing is not available yet.");
        return new ListBatchSource<CausalLmSequence, CausalLmBatch>(sequences, s => s.Length, batch => CausalLmCollator.RightPadded(batch, padId));
    }

    public static GenerativeExample ParseMessages(string? json, string where) => throw new NotImplementedException();
}
