namespace MLNet.FineTune.Data;

/// <summary>The speaker of a chat turn, as OpenAI-style chat JSONL spells it (<c>system</c>, <c>user</c>, <c>assistant</c>).</summary>
internal enum ChatRole
{
    /// <summary>Instructions that frame the conversation; never trained on.</summary>
    System,

    /// <summary>What the user said; never trained on.</summary>
    User,

    /// <summary>What the model should say; trained on unless the turn's weight is 0.</summary>
    Assistant,
}

/// <summary>
/// One message of a chat example. <paramref name="Weight"/> is OpenAI's optional per-assistant-turn <c>weight</c>
/// (0 = shown as context but not trained on, 1 = trained on); null means "not given", which trains assistant turns.
/// </summary>
internal sealed record ChatTurn(ChatRole Role, string Content, int? Weight = null)
{
    /// <summary>Whether the loss covers this turn's tokens when training on assistant turns only.</summary>
    public bool IsTrained => Role == ChatRole.Assistant && Weight != 0;
}
