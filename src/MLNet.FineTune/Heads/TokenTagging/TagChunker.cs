namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>
/// Lenient chunk extraction with conlleval's rules, exactly as seqeval's default mode (<c>get_entities</c>):
/// an <c>I-X</c> that does not continue an open X chunk starts a new one instead of being rejected, so it reads
/// IOB1, IOB2 and BIOES alike. Used for evaluation, scheme conversion and repair, and decoding predictions.
/// </summary>
internal static class TagChunker
{
    /// <summary>Chunks of one tag sequence, in order of their start.</summary>
    /// <exception cref="ArgumentException">A tag is null or empty.</exception>
    public static List<TagChunk> Chunks(IReadOnlyList<string> tags)
    {
        var chunks = new List<TagChunk>();
        // seqeval starts with prev_type '' (not '_'), which matters only for type-less tags at position 0.
        char prevTag = 'O';
        string prevType = "";
        int begin = 0;
        for (int i = 0; i <= tags.Count; i++)
        {
            // A virtual trailing "O" closes a chunk that runs to the end of the sequence.
            var (tag, type) = i < tags.Count ? Split(tags[i], i) : ('O', "_");
            if (EndsChunk(prevTag, tag, prevType, type))
                chunks.Add(new TagChunk(prevType, begin, i));
            if (StartsChunk(prevTag, tag, prevType, type))
                begin = i;
            prevTag = tag;
            prevType = type;
        }
        return chunks;
    }

    /// <summary>
    /// Splits a tag the way seqeval's default mode does: the first character is the prefix and the type is
    /// whatever follows the first '-' (<c>B-creative-work</c> gives <c>creative-work</c>); no type gives <c>_</c>.
    /// </summary>
    internal static (char Prefix, string Type) Split(string tag, int position)
    {
        if (string.IsNullOrEmpty(tag))
            throw new ArgumentException($"Tag at position {position} is empty; expected a tag such as O, B-PER or I-PER.");
        var rest = tag.AsSpan(1);
        int dash = rest.IndexOf('-');
        var type = dash < 0 ? rest : rest[(dash + 1)..];
        return (tag[0], type.IsEmpty ? "_" : type.ToString());
    }

    // conlleval's end-of-chunk rule: did a chunk end between the previous and the current word?
    static bool EndsChunk(char prevTag, char tag, string prevType, string type)
    {
        if (prevTag is 'E' or 'S') return true;
        if (prevTag is 'B' or 'I' && tag is 'B' or 'S' or 'O') return true;
        return prevTag != 'O' && prevTag != '.' && prevType != type;
    }

    // conlleval's start-of-chunk rule: did a chunk start between the previous and the current word?
    static bool StartsChunk(char prevTag, char tag, string prevType, string type)
    {
        if (tag is 'B' or 'S') return true;
        if (prevTag is 'E' or 'S' or 'O' && tag is 'E' or 'I') return true;
        return tag != 'O' && tag != '.' && prevType != type;
    }
}
