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
        new(package.Tokenizer, Template(format.ChatTemplate, package), new GenerativeEncodingOptions
        {
            MaxLength = maxLength,
            LossTokens = loss == TextGenerationLoss.AllTokens ? GenerativeLossTokens.AllTokens : GenerativeLossTokens.CompletionOnly,
        });

    static readonly string[] BuiltIn = ["chatml", "qwen2", "llama3"];

    /// <summary>
    /// The template a model uses, as saved with it: the options' name or Jinja text, else the checkpoint's own
    /// <c>chat_template</c> text (tokenizer_config.json), else ChatML. Saved as text, so a loaded model renders as the
    /// fitted one did without its folder.
    /// </summary>
    public static string ResolveTemplate(string? requested, DecoderPackage package)
    {
        var template = requested ?? CheckpointTemplate(package) ?? "chatml";
        _ = Template(template, package); // refuses an unsupported template at Fit, before training
        return template;
    }

    static string? CheckpointTemplate(DecoderPackage package)
    {
        if (!package.Files.TryGetValue("tokenizer_config.json", out var bytes)) return null;
        var config = Persistence.JsonFields.Parse(bytes, "tokenizer_config.json", m => new FormatException(m));
        if (!config.Has("chat_template")) return null;
        return config.Raw("chat_template") is System.Text.Json.Nodes.JsonValue ? config.RequiredString("chat_template")
            : throw new NotSupportedException($"{package.BaseName}: tokenizer_config.json holds a list of named chat templates; set TextGenerationFineTuneOptions.ChatTemplate to the one to use.");
    }

    static ChatTemplate Template(string? nameOrJinja, DecoderPackage package) => (nameOrJinja ?? "chatml") switch
    {
        "chatml" => ChatTemplate.ChatMl,
        "qwen2" => ChatTemplate.Qwen2,
        "llama3" => ChatTemplate.Llama3,
        var jinja => ChatTemplate.FromJinja(jinja, Token(package, package.Config.BosTokenId), Token(package, package.Tokenizer.EosTokenId)),
    };

    static string? Token(DecoderPackage package, int? id) => id is int i ? package.Tokenizer.IdToToken(i) : null;

    /// <summary>Encoded examples as a batch source: right-padded batches (dynamic padding), or rows packed to <paramref name="packToLength"/> tokens.</summary>
    public static IBatchSource<CausalLmBatch> BatchSource(GenerativeExampleEncoder encoder, IReadOnlyList<GenerativeExample> examples, int padId, int? packToLength) =>
        new CausalLmBatchSource(encoder.EncodeAll(examples).Select(e => new CausalLmSequence(e.InputIds, e.Labels)).ToList(), padId, packToLength);

    /// <summary>A messages cell (chat JSON) as a chat example; errors name the row and the column.</summary>
    public static GenerativeExample ParseMessages(string? json, string source, string column) =>
        GenerativeExample.Chat(ChatMessagesParser.Parse(json, source, column), source);
}
