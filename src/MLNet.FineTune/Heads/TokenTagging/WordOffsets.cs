namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>Character offsets of words in the text they were split from.</summary>
internal static class WordOffsets
{
    /// <summary>
    /// Finds each word in <paramref name="text"/> in order, each search starting where the previous word ended, so
    /// repeated words map to successive occurrences. Works for any separator (spaces, tabs, none).
    /// </summary>
    /// <exception cref="ArgumentException">A word does not occur in the rest of the text.</exception>
    public static (int Start, int End)[] Locate(string text, IReadOnlyList<string> words)
    {
        var offsets = new (int Start, int End)[words.Count];
        int cursor = 0;
        for (int i = 0; i < words.Count; i++)
        {
            int start = text.IndexOf(words[i], cursor, StringComparison.Ordinal);
            if (start < 0 || words[i].Length == 0)
                throw new ArgumentException($"Word {i} '{words[i]}' does not occur in the text after character {cursor}.", nameof(words));
            offsets[i] = (start, start + words[i].Length);
            cursor = start + words[i].Length;
        }
        return offsets;
    }
}
