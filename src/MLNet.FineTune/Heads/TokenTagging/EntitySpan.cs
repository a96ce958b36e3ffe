namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>An entity found in a text.</summary>
/// <param name="Type">Entity type, e.g. <c>PER</c>.</param>
/// <param name="Start">Character offset of the entity's first character in the original text.</param>
/// <param name="End">Character offset one past its last character (exclusive).</param>
/// <param name="Text">The covered text, <c>text[Start..End]</c>.</param>
/// <param name="Confidence">Mean of the predicted probabilities of the entity's words.</param>
internal sealed record EntitySpan(string Type, int Start, int End, string Text, float Confidence);
