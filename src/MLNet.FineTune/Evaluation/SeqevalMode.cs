namespace MLNet.FineTune.Evaluation;

/// <summary>How entities are read from tag sequences, as seqeval's <c>mode</c> argument.</summary>
public enum SeqevalMode
{
    /// <summary>
    /// conlleval-compatible (seqeval's default, <c>mode=None</c>): lenient chunking, so <c>I-PER I-PER</c> without a
    /// <c>B-PER</c> still counts as one PER entity.
    /// </summary>
    Default,

    /// <summary>
    /// seqeval's <c>mode='strict'</c>: entities follow the token rules of a declared scheme; ill-formed chunks
    /// (e.g. <c>I-PER I-PER</c> in IOB2) are not entities at all.
    /// </summary>
    Strict,
}
