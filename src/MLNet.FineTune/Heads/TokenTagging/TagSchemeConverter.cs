namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>
/// Rewrites tag sequences from one <see cref="TagScheme"/> to another (IOB1→IOB2, IOB2→BIOES, BIOES→IOB2, ...).
/// Chunks are read leniently with <see cref="TagChunker"/> and written in the target scheme, so a conversion also
/// repairs ill-formed input (an orphan <c>I-X</c> becomes its own chunk).
/// </summary>
internal static class TagSchemeConverter
{
    /// <summary>The tags of <paramref name="tags"/> rewritten in <paramref name="to"/>.</summary>
    /// <remarks>The source scheme needs no argument: the lenient chunk rules read IOB1, IOB2 and BIOES identically.</remarks>
    public static string[] Convert(IReadOnlyList<string> tags, TagScheme to) => Encode(TagChunker.Chunks(tags), tags.Count, to);

    /// <summary>Writes chunks as a tag sequence of <paramref name="length"/> words in <paramref name="scheme"/>.</summary>
    /// <exception cref="ArgumentException">Chunks overlap, are out of order, or fall outside the sequence.</exception>
    public static string[] Encode(IReadOnlyList<TagChunk> chunks, int length, TagScheme scheme)
    {
        var tags = new string[length];
        Array.Fill(tags, "O");
        TagChunk? previous = null;
        foreach (var chunk in chunks)
        {
            if (chunk.Start < (previous?.End ?? 0) || chunk.End <= chunk.Start || chunk.End > length)
                throw new ArgumentException($"Chunk {chunk} overlaps the previous chunk or lies outside a sequence of {length} words.", nameof(chunks));
            // IOB1 needs B- only where a chunk touches a preceding chunk of the same type.
            bool touchesSameType = previous is { } p && p.End == chunk.Start && p.Type == chunk.Type;
            WriteChunk(tags, chunk, scheme, touchesSameType);
            previous = chunk;
        }
        return tags;
    }

    static void WriteChunk(string[] tags, TagChunk chunk, TagScheme scheme, bool touchesSameType)
    {
        string inside = "I-" + chunk.Type;
        for (int i = chunk.Start; i < chunk.End; i++) tags[i] = inside;
        switch (scheme)
        {
            case TagScheme.Iob1:
                if (touchesSameType) tags[chunk.Start] = "B-" + chunk.Type;
                break;
            case TagScheme.Iob2:
                tags[chunk.Start] = "B-" + chunk.Type;
                break;
            case TagScheme.Bioes when chunk.Length == 1:
                tags[chunk.Start] = "S-" + chunk.Type;
                break;
            case TagScheme.Bioes:
                tags[chunk.Start] = "B-" + chunk.Type;
                tags[chunk.End - 1] = "E-" + chunk.Type;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown tag scheme.");
        }
    }
}
