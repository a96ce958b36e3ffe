using System.Globalization;
using System.Text;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// Text being normalized or pre-tokenized (Hugging Face's <c>NormalizedString</c>), with, for every UTF-16 unit, the span of
/// the original input it came from, so token offsets still point into the caller's string after "▁" was prepended,
/// spaces were replaced or characters were composed.
/// </summary>
internal readonly record struct AlignedText(string Text, int[] Start, int[] End)
{
    public static AlignedText Of(string text, int start, int end)
    {
        var starts = new int[end - start];
        var ends = new int[end - start];
        for (int i = start; i < end;)
        {
            int len = UnicodeText.CodePointAt(text, i).Length;
            for (int k = 0; k < len; k++) { starts[i - start + k] = i; ends[i - start + k] = i + len; }
            i += len;
        }
        return new AlignedText(text[start..end], starts, ends);
    }

    public int Length => Text.Length;

    /// <summary>Where in the original input this text starts (HF <c>offsets_original().0</c>).</summary>
    public int OriginalStart => Start.Length == 0 ? 0 : Start[0];

    public AlignedText Slice(int start, int end) => new(Text[start..end], Start[start..end], End[start..end]);

    /// <summary><paramref name="prefix"/> put in front, aligned with the first character (HF <c>prepend</c>).</summary>
    public AlignedText Prepend(string prefix)
    {
        if (Text.Length == 0 || prefix.Length == 0) return this;
        return new AlignedText(prefix + Text, [.. Enumerable.Repeat(Start[0], prefix.Length), .. Start], [.. Enumerable.Repeat(End[0], prefix.Length), .. End]);
    }

    /// <summary>Every occurrence of <paramref name="pattern"/> replaced by <paramref name="content"/>; the new units span what they replace.</summary>
    public AlignedText Replace(string pattern, string content)
    {
        if (pattern.Length == 0 || !Text.Contains(pattern, StringComparison.Ordinal)) return this;
        var text = new StringBuilder(Text.Length);
        var starts = new List<int>(Text.Length);
        var ends = new List<int>(Text.Length);
        for (int i = 0; i < Text.Length;)
        {
            if (string.CompareOrdinal(Text, i, pattern, 0, pattern.Length) == 0)
            {
                text.Append(content);
                for (int k = 0; k < content.Length; k++) { starts.Add(Start[i]); ends.Add(End[i + pattern.Length - 1]); }
                i += pattern.Length;
            }
            else { text.Append(Text[i]); starts.Add(Start[i]); ends.Add(End[i]); i++; }
        }
        return new AlignedText(text.ToString(), [.. starts], [.. ends]);
    }

    /// <summary>
    /// Unicode normalization (NFC, NFKC, ...) one text element (grapheme cluster) at a time, so each output unit spans the
    /// element it came from; composition never crosses a grapheme boundary, so the text equals normalizing it whole.
    /// </summary>
    public AlignedText Normalize(NormalizationForm form)
    {
        if (UnicodeText.Normalize(Text, form) == Text) return this;
        var text = new StringBuilder(Text.Length);
        var starts = new List<int>(Text.Length);
        var ends = new List<int>(Text.Length);
        var elements = StringInfo.GetTextElementEnumerator(Text);
        while (elements.MoveNext())
        {
            int at = elements.ElementIndex;
            var element = (string)elements.Current;
            var normalized = UnicodeText.Normalize(element, form);
            text.Append(normalized);
            for (int k = 0; k < normalized.Length; k++) { starts.Add(Start[at]); ends.Add(End[at + element.Length - 1]); }
        }
        return new AlignedText(text.ToString(), [.. starts], [.. ends]);
    }
}
