namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>How entity chunks are written as one tag per word.</summary>
public enum TagScheme
{
    /// <summary>
    /// IOB1 (CoNLL-2003's original eng.train): a chunk starts with <c>I-X</c>; <c>B-X</c> is used only for a chunk
    /// that directly follows another chunk of the same type X.
    /// </summary>
    Iob1,

    /// <summary>IOB2, also called BIO: every chunk starts with <c>B-X</c> and continues with <c>I-X</c>.</summary>
    Iob2,

    /// <summary>
    /// BIOES (seqeval's IOBES): <c>S-X</c> for a one-word chunk, otherwise <c>B-X</c>, zero or more <c>I-X</c>, <c>E-X</c>.
    /// </summary>
    Bioes,
}
