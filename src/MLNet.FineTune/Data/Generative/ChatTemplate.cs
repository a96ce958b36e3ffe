namespace MLNet.FineTune.Data;

/// <summary>
/// Turns chat turns into the text a checkpoint was trained on (what <c>tokenizer.apply_chat_template(messages,
/// tokenize=False, add_generation_prompt=…)</c> returns), and says which characters are the assistant's.
/// </summary>
internal abstract class ChatTemplate
{
    /// <summary>A short name for messages and model cards, e.g. <c>chatml</c>.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The text that ends an assistant turn (<c>&lt;|im_end|&gt;</c> for ChatML): trained on so that the model learns to
    /// stop, and the stop sequence when generating a reply.
    /// </summary>
    public abstract string EndOfTurn { get; }

    /// <summary>
    /// Renders <paramref name="turns"/>. With <paramref name="addGenerationPrompt"/> the text ends with the header of a
    /// new assistant turn (HF <c>add_generation_prompt=True</c>): the prompt a reply is generated from.
    /// </summary>
    public abstract RenderedChat Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt);

    /// <summary>ChatML (<c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c>) without a default system message.</summary>
    public static ChatTemplate ChatMl { get; } = new ChatMlTemplate(defaultSystemPrompt: null);

    /// <summary>Qwen2-Instruct's template: ChatML with "You are a helpful assistant." when the chat has no system turn.</summary>
    public static ChatTemplate Qwen2 { get; } = new ChatMlTemplate("You are a helpful assistant.");

    /// <summary>Meta-Llama-3-Instruct's format (<c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n…&lt;|eot_id|&gt;</c>).</summary>
    public static ChatTemplate Llama3 { get; } = new Llama3ChatTemplate();

    /// <summary>
    /// A Jinja <c>chat_template</c> interpreted by the safe subset (see <see cref="JinjaChatTemplate"/>); constructs
    /// outside it throw <see cref="NotSupportedException"/> naming the construct and its line and column.
    /// </summary>
    public static ChatTemplate FromJinja(string template, string? bosToken, string? eosToken, string? endOfTurn = null) =>
        new JinjaChatTemplate(template, bosToken, eosToken, endOfTurn);

    /// <summary>The <c>chat_template</c> of a checkpoint folder's tokenizer_config.json, or null when it has none (see <see cref="ChatTemplateFiles"/>).</summary>
    public static ChatTemplate? FromCheckpoint(string folder) => ChatTemplateFiles.Read(folder);

    internal static string RoleName(ChatRole role) => role switch
    {
        ChatRole.System => "system",
        ChatRole.User => "user",
        ChatRole.Assistant => "assistant",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown chat role."),
    };
}

/// <summary>
/// ChatML as Qwen2's <c>chat_template</c> writes it: every turn is <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c>,
/// and the generation prompt is <c>&lt;|im_start|&gt;assistant\n</c>. With a default system prompt, a chat whose first
/// turn is not a system turn gets one first (Qwen2's <c>loop.first and messages[0]['role'] != 'system'</c>).
/// A trained assistant turn's content and its <c>&lt;|im_end|&gt;</c> are trained; the trailing newline is not.
/// </summary>
internal sealed class ChatMlTemplate(string? defaultSystemPrompt) : ChatTemplate
{
    const string Start = "<|im_start|>", End = "<|im_end|>";

    public override string Name => defaultSystemPrompt is null ? "chatml" : "qwen2";

    public override string EndOfTurn => End;

    public override RenderedChat Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(turns);
        var chat = new RenderedChatBuilder();
        if (defaultSystemPrompt is not null && (turns.Count == 0 || turns[0].Role != ChatRole.System))
            chat.Append($"{Start}system\n{defaultSystemPrompt}{End}\n");
        foreach (var turn in turns)
        {
            chat.Append($"{Start}{RoleName(turn.Role)}\n");
            chat.Append(turn.Content, turn.IsTrained).Append(End, turn.IsTrained).Append("\n");
        }
        if (addGenerationPrompt) chat.Append($"{Start}assistant\n");
        return chat.Build();
    }
}
