namespace MLNet.FineTune.Data;

/// <summary>
/// Meta-Llama-3-Instruct's template: <c>&lt;|begin_of_text|&gt;</c>, then per turn
/// <c>&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{content, stripped}&lt;|eot_id|&gt;</c>; the generation
/// prompt is the assistant header. A trained turn's stripped content and its <c>&lt;|eot_id|&gt;</c> are trained.
/// </summary>
internal sealed class Llama3ChatTemplate : ChatTemplate
{
    const string Bos = "<|begin_of_text|>", Eot = "<|eot_id|>";

    public override string Name => "llama3";

    public override string EndOfTurn => Eot;

    public override RenderedChat Render(IReadOnlyList<ChatTurn> turns, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(turns);
        var chat = new RenderedChatBuilder().Append(Bos);
        foreach (var turn in turns)
            chat.Append(Header(RoleName(turn.Role))).Append(turn.Content.Trim(), turn.IsTrained).Append(Eot, turn.IsTrained);
        if (addGenerationPrompt) chat.Append(Header("assistant"));
        return chat.Build();
    }

    static string Header(string role) => $"<|start_header_id|>{role}<|end_header_id|>\n\n";
}
