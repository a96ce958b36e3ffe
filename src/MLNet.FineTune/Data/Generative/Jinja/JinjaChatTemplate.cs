namespace MLNet.FineTune.Data;

/// <summary>
/// A checkpoint's own <c>chat_template</c> (tokenizer_config.json), interpreted by the safe Jinja subset of
/// <see cref="JinjaParser"/> / <see cref="JinjaRenderer"/> with the variables transformers passes: <c>messages</c>
/// (each with <c>role</c> and <c>content</c>), <c>bos_token</c>, <c>eos_token</c>, <c>add_generation_prompt</c> and
/// the function <c>raise_exception</c>. The template is parsed once, here, so that unsupported constructs are refused
/// when the template is loaded.
/// <para>
/// Trained spans: HF marks assistant tokens with <c>{% generation %}</c> blocks, which few published templates have.
/// Instead, for each trained assistant turn i, the conversation is rendered up to turn i − 1 with the generation
/// prompt and up to turn i without it; the characters between the two ends are the turn (its content and whatever
/// the template closes it with, such as an EOS), less trailing whitespace (the separator before the next turn).
/// Both renderings must be prefixes of the whole rendering, which holds for templates that render turn by turn;
/// otherwise <see cref="NotSupportedException"/> says so. <c>{% generation %}</c> blocks render as their body.
/// </para>
/// </summary>
internal sealed class JinjaChatTemplate : ChatTemplate
{
    readonly string source;
    readonly IReadOnlyList<JinjaNode> template;
    readonly string? bosToken, eosToken;

    /// <exception cref="NotSupportedException">The template uses a construct outside the subset; the message names it and its line and column.</exception>
    /// <exception cref="FormatException">The template is not valid Jinja.</exception>
    public JinjaChatTemplate(string source, string? bosToken, string? eosToken, string? endOfTurn = null, string name = "checkpoint")
    {
        this.source = source ?? throw new ArgumentNullException(nameof(source));
        template = JinjaParser.Parse(source);
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        EndOfTurn = endOfTurn ?? eosToken ?? "";
        Name = name;
    }

    public override string Name { get; }

    public override string EndOfTurn { get; }

    public override RenderedChat Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(turns);
        var text = RenderText(turns, turns.Count, addGenerationPrompt);
        if (addGenerationPrompt) return new RenderedChat(text, []);
        var spans = new List<(int Start, int End)>();
        for (int i = 0; i < turns.Count; i++)
        {
            if (!turns[i].IsTrained) continue;
            var before = RenderText(turns, i, addGenerationPrompt: true);
            var through = RenderText(turns, i + 1, addGenerationPrompt: false);
            if (!through.StartsWith(before, StringComparison.Ordinal) || !text.StartsWith(through, StringComparison.Ordinal))
                throw new NotSupportedException(
                    $"The chat template '{Name}' does not render the conversation turn by turn (the rendering up to turn {i + 1} is not a prefix of the whole), " +
                    "so its assistant tokens cannot be located. Train on all tokens, or use a built-in template (ChatML, Llama-3).");
            int end = through.Length;
            while (end > before.Length && char.IsWhiteSpace(through[end - 1])) end--;
            if (end > before.Length) spans.Add((before.Length, end));
        }
        return new RenderedChat(text, spans);
    }

    string RenderText(IReadOnlyList<ChatTurn> turns, int count, bool addGenerationPrompt)
    {
        var messages = new List<object?>(count);
        for (int i = 0; i < count; i++)
            messages.Add(new Dictionary<string, object?> { ["role"] = RoleName(turns[i].Role), ["content"] = turns[i].Content });
        var globals = new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = bosToken ?? (object)JinjaUndefined.Instance,
            ["eos_token"] = eosToken ?? (object)JinjaUndefined.Instance,
        };
        return JinjaRenderer.Render(source, template, globals);
    }
}
