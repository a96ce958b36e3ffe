namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>What <see cref="TagSchemeValidator.Enforce"/> does with sequences that break their scheme.</summary>
public enum InvalidTagHandling
{
    /// <summary>Throw a <see cref="FormatException"/> listing the violations.</summary>
    Throw,

    /// <summary>
    /// Rewrite the sequence leniently (conlleval rules) in the same scheme: in IOB2 an orphan <c>I-X</c> becomes
    /// <c>B-X</c>; in BIOES an unterminated chunk gets its <c>E-X</c>/<c>S-X</c>.
    /// </summary>
    Repair,
}
