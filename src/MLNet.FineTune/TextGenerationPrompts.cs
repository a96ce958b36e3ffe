using MLNet.FineTune.Data;
using MLNet.FineTune.Generation;
using MLNet.FineTune.Modeling.Decoding;

namespace MLNet.FineTune;

/// <summary>
/// Turns what a user gives a fitted model — a prompt row, or chat messages — into the token ids generation continues
/// from, with the encoder training used (so the model sees at inference what it learnt on), and adds the chat
/// template's end-of-turn marker as a stop for chat models.
/// </summary>
internal sealed class TextGenerationPrompts
{
    readonly GenerativeExampleEncoder encoder;
    readonly DecoderPackage package;

    public TextGenerationPrompts(DecoderPackage package, PromptFormat format, int maxLength)
    {
        this.package = package;
        Format = format;
        encoder = TextGenerationEncoding.Encoder(package, format, TextGenerationLoss.CompletionOnly, maxLength);
    }

    public PromptFormat Format { get; }

    /// <summary>A prompt column value: the prompt of prompt/completion data, or a user message of chat data.</summary>
    public IReadOnlyList<int> EncodePrompt(string prompt, string where) =>
        Format.Kind == PromptFormatKind.Chat ? EncodeChat([new ChatTurn(ChatRole.User, prompt)], where) : Check(encoder.EncodePrompt(prompt), where);

    /// <summary>A conversation rendered with the chat template and the assistant's generation prompt.</summary>
    public IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatTurn> turns, string where) => Check(encoder.EncodeChatPrompt(turns), where);

    /// <summary>
    /// Generation options for this model: a chat model's reply ends at the template's end of turn — as a token that ends
    /// the row when the tokenizer has it as one token (special tokens are not decoded, so a stop string could not see
    /// it), else as a stop sequence.
    /// </summary>
    public GenerationOptions ForModel(GenerationOptions options)
    {
        if (Format.Kind != PromptFormatKind.Chat) return options;
        var end = encoder.ChatTemplate.EndOfTurn;
        if (package.Tokenizer.TokenToId(end) is int id)
            return options with { EosTokenIds = [.. options.EosTokenIds ?? package.Config.EosTokenIds, id] };
        return options.StopSequences.Contains(end) ? options : options with { StopSequences = [.. options.StopSequences, end] };
    }

    static IReadOnlyList<int> Check(int[] ids, string where) =>
        ids.Length > 0 ? ids : throw new ArgumentException($"{where}: the prompt is empty after tokenization; a model has nothing to continue from.");
}
