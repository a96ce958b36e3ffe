using MLNet.FineTune.Data;
using MLNet.FineTune.Modeling.Decoding;

namespace MLNet.FineTune;

/// <summary>
/// Turns what a user gives a fitted model — a prompt row, or chat messages — into the token ids generation continues
/// from, exactly as training rendered the same text (so the model sees at inference what it learnt on).
/// </summary>
internal sealed class TextGenerationPrompts(DecoderPackage package, PromptFormat format)
{
    public PromptFormat Format => format;

    /// <summary>A prompt column value: the prompt of prompt/completion data, or a user message of chat data.</summary>
    public IReadOnlyList<int> EncodePrompt(string prompt, string where)
    {
        if (format.Kind == PromptFormatKind.Chat) return EncodeChat([new ChatTurn(ChatRole.User, prompt)], where);
        // TODO(h1 merge): the prompt/completion encoder's prompt part.
        return package.Tokenizer.Encode(prompt, maxLength: int.MaxValue).InputIds;
    }

    /// <summary>A conversation rendered with the chat template and the assistant's generation prompt.</summary>
    public IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatTurn> turns, string where)
    {
        // TODO(h1 merge): the chat template with add_generation_prompt.
        throw new NotImplementedException();
    }
}
