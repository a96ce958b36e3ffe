namespace MLNet.FineTune.Tokenization;

/// <summary>
/// GPT-2's pre-tokenization pattern
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>
/// written out by hand over code points: .NET <c>Regex</c> sees a character outside the BMP as two surrogates that are
/// neither letters nor numbers, while Python's <c>regex</c> (what Hugging Face uses) classifies the code point.
/// </summary>
internal static class Gpt2PreTokenizer
{
    static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    enum CharClass { Letter, Number, Space, Other }

    /// <summary>Chunks of <paramref name="text"/>[start, end) as (start, end) pairs.</summary>
    public static List<(int Start, int End)> Split(string text, int start, int end)
    {
        var chunks = new List<(int, int)>();
        int i = start;
        while (i < end)
        {
            int next = MatchAt(text, i, end);
            chunks.Add((i, next));
            i = next;
        }
        return chunks;
    }

    static int MatchAt(string text, int i, int end)
    {
        if (text[i] == '\'')
            foreach (var c in Contractions)
                if (i + c.Length <= end && string.CompareOrdinal(text, i, c, 0, c.Length) == 0) return i + c.Length;

        // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional single space, then a run of one class.
        int body = text[i] == ' ' && i + 1 < end && Classify(text, i + 1).Class != CharClass.Space ? i + 1 : i;
        var (cls, len) = Classify(text, body);
        if (cls != CharClass.Space) return RunEnd(text, body + len, end, cls);

        // "\s+(?!\S)|\s+": a whitespace run, leaving its last character to a following non-space chunk.
        int runEnd = RunEnd(text, i + len, end, CharClass.Space);
        if (runEnd == end) return runEnd;
        int lastStart = runEnd - Classify(text, PreviousStart(text, runEnd)).Length;
        return lastStart > i ? lastStart : runEnd;
    }

    static int RunEnd(string text, int i, int end, CharClass cls)
    {
        while (i < end)
        {
            var (c, len) = Classify(text, i);
            if (c != cls) break;
            i += len;
        }
        return i;
    }

    static int PreviousStart(string text, int index) =>
        index >= 2 && char.IsLowSurrogate(text[index - 1]) && char.IsHighSurrogate(text[index - 2]) ? index - 2 : index - 1;

    static (CharClass Class, int Length) Classify(string text, int i)
    {
        var (cp, len) = UnicodeText.CodePointAt(text, i);
        var cls = UnicodeText.IsWhiteSpace(cp) ? CharClass.Space
            : UnicodeText.IsLetter(cp) ? CharClass.Letter
            : UnicodeText.IsNumber(cp) ? CharClass.Number
            : CharClass.Other;
        return (cls, len);
    }
}
