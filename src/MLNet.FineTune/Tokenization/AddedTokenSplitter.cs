namespace MLNet.FineTune.Tokenization;

/// <summary>A piece of input text: either plain text [Start, End) or one literal added token.</summary>
internal readonly record struct TextSegment(int Start, int End, AddedToken? Token);

/// <summary>
/// Splits text on added tokens the way Hugging Face's slow tokenizers do (<c>tokens_trie.split</c>): leftmost match
/// first, longest token on ties, case-sensitive; then <c>lstrip</c>/<c>rstrip</c> tokens swallow the whitespace
/// beside them. Plain-text pieces that end up empty are dropped.
/// </summary>
internal sealed class AddedTokenSplitter
{
    readonly Dictionary<char, AddedToken[]> byFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens) =>
        byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());

    public List<TextSegment> Split(string text)
    {
        var raw = new List<TextSegment>();
        int textStart = 0;
        for (int i = 0; i < text.Length;)
        {
            var match = MatchAt(text, i);
            if (match == null) { i++; continue; }
            if (i > textStart) raw.Add(new TextSegment(textStart, i, null));
            raw.Add(new TextSegment(i, i + match.Content.Length, match));
            i += match.Content.Length;
            textStart = i;
        }
        if (textStart < text.Length) raw.Add(new TextSegment(textStart, text.Length, null));
        return StripAroundTokens(text, raw);
    }

    AddedToken? MatchAt(string text, int index)
    {
        if (!byFirstChar.TryGetValue(text[index], out var candidates)) return null;
        foreach (var token in candidates)
            if (string.CompareOrdinal(text, index, token.Content, 0, token.Content.Length) == 0) return token;
        return null;
    }

    static List<TextSegment> StripAroundTokens(string text, List<TextSegment> segments)
    {
        for (int i = 0; i < segments.Count; i++)
        {
            var token = segments[i].Token;
            if (token == null) continue;
            if (token.LStrip && i > 0 && segments[i - 1].Token == null)
            {
                var left = segments[i - 1];
                int end = left.End;
                while (end > left.Start && UnicodeText.IsWhiteSpace(text[end - 1])) end--;
                segments[i - 1] = left with { End = end };
            }
            if (token.RStrip && i + 1 < segments.Count && segments[i + 1].Token == null)
            {
                var right = segments[i + 1];
                int start = right.Start;
                while (start < right.End && UnicodeText.IsWhiteSpace(text[start])) start++;
                segments[i + 1] = right with { Start = start };
            }
        }
        segments.RemoveAll(s => s.Token == null && s.End <= s.Start);
        return segments;
    }
}
