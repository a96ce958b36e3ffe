namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>An entity chunk of a tag sequence: its type and the word range [<paramref name="Start"/>, <paramref name="End"/>).</summary>
/// <param name="Type">Entity type, e.g. <c>PER</c>; <c>_</c> for tags that carry no type (seqeval's convention).</param>
/// <param name="Start">Index of the first word of the chunk.</param>
/// <param name="End">Index one past the last word of the chunk (exclusive).</param>
internal readonly record struct TagChunk(string Type, int Start, int End)
{
    /// <summary>Number of words in the chunk.</summary>
    public int Length => End - Start;
}
