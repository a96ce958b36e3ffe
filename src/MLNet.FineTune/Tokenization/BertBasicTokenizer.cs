using System.Text;

namespace MLNet.FineTune.Tokenization;

/// <summary>A pre-tokenized BERT word: its normalized text and, per UTF-16 unit of it, the span in the original text.</summary>
internal sealed record NormalizedWord(string Text, int[] CharStart, int[] CharEnd);

/// <summary>
/// Hugging Face's slow <c>BasicTokenizer</c> (transformers 4.40) with character offsets kept: remove NUL, U+FFFD and
/// control characters, space out CJK ideographs, NFC, split on whitespace, lowercase (Python rules) and strip accents,
/// split off every punctuation character. Normalization is applied per base character plus its combining marks so each
/// output character knows which original characters it came from.
/// </summary>
internal sealed class BertBasicTokenizer(bool lowerCase, bool? stripAccents, bool tokenizeChineseChars)
{
    /// <summary>Words of <paramref name="text"/>[start, end), in order, with offsets into <paramref name="text"/>.</summary>
    public List<NormalizedWord> Split(string text, int start, int end)
    {
        var words = new List<NormalizedWord>();
        var run = new List<(int Cp, int Start, int End)>();
        for (int i = start; i < end;)
        {
            var (cp, len) = UnicodeText.CodePointAt(text, i);
            if (cp is 0 or 0xFFFD || UnicodeText.IsBertControl(cp)) { i += len; continue; }
            if (UnicodeText.IsBertWhitespace(cp) || UnicodeText.IsWhiteSpace(cp)) Flush(run, words);
            else if (tokenizeChineseChars && UnicodeText.IsCjkIdeograph(cp))
            {
                Flush(run, words);
                run.Add((cp, i, i + len));
                Flush(run, words);
            }
            else run.Add((cp, i, i + len));
            i += len;
        }
        Flush(run, words);
        return words;
    }

    /// <summary>Normalizes one whitespace-delimited token and splits it on punctuation.</summary>
    void Flush(List<(int Cp, int Start, int End)> run, List<NormalizedWord> words)
    {
        if (run.Count == 0) return;
        var builder = new WordBuilder(words);
        for (int i = 0; i < run.Count;)
        {
            // A segment is a base character with the marks / jamo NFC may combine with it.
            int j = i + 1;
            while (j < run.Count && (UnicodeText.IsMark(run[j].Cp) || UnicodeText.IsConjoiningJamo(run[j].Cp) && UnicodeText.IsConjoiningJamo(run[j - 1].Cp))) j++;
            var segment = new StringBuilder();
            for (int k = i; k < j; k++) segment.Append(char.ConvertFromUtf32(run[k].Cp));
            var normalized = Normalize(UnicodeText.Normalize(segment.ToString(), NormalizationForm.FormC), run, i, j);
            builder.Add(normalized, run[i].Start, run[j - 1].End);
            i = j;
        }
        builder.EndWord();
        run.Clear();
    }

    string Normalize(string segment, List<(int Cp, int Start, int End)> run, int from, int to)
    {
        if (lowerCase)
        {
            segment = segment == "\u03A3" && IsFinalSigma(run, from, to) ? "\u03C2" : UnicodeText.Lower(segment);
            if (stripAccents != false) segment = UnicodeText.StripAccents(segment);
        }
        else if (stripAccents == true) segment = UnicodeText.StripAccents(segment);
        return segment;
    }

    /// <summary>Python lowercases a capital sigma to final ς after a cased letter when no cased letter follows.</summary>
    static bool IsFinalSigma(List<(int Cp, int Start, int End)> run, int from, int to)
    {
        static bool Cased(int cp) => UnicodeText.Category(cp) is System.Globalization.UnicodeCategory.UppercaseLetter
            or System.Globalization.UnicodeCategory.LowercaseLetter or System.Globalization.UnicodeCategory.TitlecaseLetter;
        int before = from - 1;
        while (before >= 0 && UnicodeText.IsMark(run[before].Cp)) before--;
        int after = to;
        while (after < run.Count && UnicodeText.IsMark(run[after].Cp)) after++;
        return before >= 0 && Cased(run[before].Cp) && !(after < run.Count && Cased(run[after].Cp));
    }

    /// <summary>Accumulates normalized characters into words, cutting around punctuation and stray whitespace.</summary>
    sealed class WordBuilder(List<NormalizedWord> words)
    {
        readonly StringBuilder text = new();
        readonly List<int> starts = [], ends = [];

        public void Add(string normalized, int start, int end)
        {
            for (int i = 0; i < normalized.Length;)
            {
                var (cp, len) = UnicodeText.CodePointAt(normalized, i);
                if (UnicodeText.IsWhiteSpace(cp)) EndWord();
                else if (UnicodeText.IsBertPunctuation(cp))
                {
                    EndWord();
                    Append(normalized, i, len, start, end);
                    EndWord();
                }
                else Append(normalized, i, len, start, end);
                i += len;
            }
        }

        void Append(string s, int index, int len, int start, int end)
        {
            text.Append(s, index, len);
            for (int k = 0; k < len; k++) { starts.Add(start); ends.Add(end); }
        }

        public void EndWord()
        {
            if (text.Length == 0) return;
            words.Add(new NormalizedWord(text.ToString(), [.. starts], [.. ends]));
            text.Clear();
            starts.Clear();
            ends.Clear();
        }
    }
}
