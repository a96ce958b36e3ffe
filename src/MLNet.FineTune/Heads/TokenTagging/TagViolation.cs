namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>One tag that breaks the rules of a <see cref="TagScheme"/>.</summary>
/// <param name="SentenceIndex">Index of the sentence in the checked collection (0 for a single sequence).</param>
/// <param name="Position">Word index of the offending tag inside its sentence.</param>
/// <param name="Tag">The offending tag.</param>
/// <param name="Message">What rule it breaks, e.g. "I-PER follows O; in IOB2 an I-PER must follow B-PER or I-PER".</param>
internal sealed record TagViolation(int SentenceIndex, int Position, string Tag, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"sentence {SentenceIndex}, position {Position}: {Message}";
}
