using System.Globalization;
using System.Text;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// Character classes exactly as Hugging Face's Python tokenizers define them (BERT's <c>_is_whitespace</c>,
/// <c>_is_control</c>, <c>_is_punctuation</c>, <c>_is_chinese_char</c>), working on code points so characters
/// outside the BMP (emoji, CJK extension B) are classified like Python does.
/// </summary>
internal static class UnicodeText
{
    public static UnicodeCategory Category(int codePoint) => CharUnicodeInfo.GetUnicodeCategory(codePoint);

    /// <summary>
    /// Code point at <paramref name="index"/> and how many UTF-16 units it takes. A lone surrogate reads as U+FFFD (one
    /// unit): what Hugging Face's Rust tokenizers see, since a Python string with one reaches them UTF-8 encoded with
    /// replacement.
    /// </summary>
    public static (int CodePoint, int Length) CodePointAt(string text, int index)
    {
        char c = text[index];
        if (!char.IsSurrogate(c)) return (c, 1);
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
            return (char.ConvertToUtf32(c, text[index + 1]), 2);
        return (ReplacementCharacter, 1);
    }

    public const char ReplacementCharacter = '\uFFFD';

    /// <summary>
    /// <paramref name="text"/> with every unpaired UTF-16 surrogate replaced by U+FFFD (the same instance when there is
    /// none). The length is unchanged, so offsets into the result are offsets into the original.
    /// </summary>
    public static string ReplaceLoneSurrogates(string text)
    {
        int first = FirstLoneSurrogate(text, 0);
        if (first < 0) return text;
        var chars = text.ToCharArray();
        for (int i = first; i >= 0; i = FirstLoneSurrogate(text, i + 1)) chars[i] = ReplacementCharacter;
        return new string(chars);
    }

    static int FirstLoneSurrogate(string text, int from)
    {
        for (int i = from; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            return i;
        }
        return -1;
    }

    /// <summary>BERT whitespace: space, tab, newline, carriage return, or category Zs.</summary>
    public static bool IsBertWhitespace(int cp) =>
        cp is ' ' or '\t' or '\n' or '\r' || (cp <= 0xFFFF && Category(cp) == UnicodeCategory.SpaceSeparator);

    /// <summary>BERT control: categories Cc/Cf except tab, newline and carriage return (which count as whitespace).</summary>
    public static bool IsBertControl(int cp)
    {
        if (cp is '\t' or '\n' or '\r') return false;
        var cat = Category(cp);
        return cat is UnicodeCategory.Control or UnicodeCategory.Format;
    }

    /// <summary>BERT punctuation: all non-letter/number ASCII symbols plus every Unicode P* category.</summary>
    public static bool IsBertPunctuation(int cp)
    {
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Category(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK Unified Ideograph blocks BERT surrounds with spaces (not Hiragana, Katakana or Hangul).</summary>
    public static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    /// <summary>Python <c>str.isspace</c> / regex <c>\s</c> (Unicode White_Space); used by whitespace splitting.</summary>
    public static bool IsWhiteSpace(int cp) => cp <= 0xFFFF && char.IsWhiteSpace((char)cp);

    public static bool IsLetter(int cp) => Category(cp) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
        or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter;

    public static bool IsNumber(int cp) => Category(cp) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber
        or UnicodeCategory.OtherNumber;

    /// <summary>Marks that attach to the previous character (they stay in the same offset span through normalization).</summary>
    public static bool IsMark(int cp) => Category(cp) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
        or UnicodeCategory.EnclosingMark;

    /// <summary>Hangul conjoining jamo: NFC composes them with their neighbours into one syllable.</summary>
    public static bool IsConjoiningJamo(int cp) => cp is >= 0x1100 and <= 0x11FF or >= 0xA960 and <= 0xA97F or >= 0xD7B0 and <= 0xD7FF;

    /// <summary>
    /// Python's <c>str.lower()</c> for one code point: .NET's invariant simple mapping, plus the one unconditional
    /// multi-character mapping Python applies (U+0130 → "i̇"). Final sigma is handled by the caller.
    /// </summary>
    public static string Lower(string s)
    {
        if (s.Length == 1 && s[0] == '\u0130') return "i\u0307";
        return s.ToLowerInvariant();
    }

    /// <summary>
    /// <see cref="string.Normalize(NormalizationForm)"/> that accepts what Python's <c>unicodedata.normalize</c> accepts:
    /// .NET refuses the noncharacters U+FFFE (and U+FFFF), which compose with nothing, so the text between them is
    /// normalized and they are kept as they are. Lone surrogates never get here (<see cref="CodePointAt"/> reads U+FFFD).
    /// </summary>
    public static string Normalize(string s, NormalizationForm form)
    {
        if (s.AsSpan().IndexOfAny('\uFFFE', '\uFFFF') < 0) return s.Normalize(form);
        var result = new StringBuilder(s.Length);
        int start = 0;
        for (int i = 0; i <= s.Length; i++)
        {
            if (i < s.Length && s[i] is not ('\uFFFE' or '\uFFFF')) continue;
            if (i > start) result.Append(s[start..i].Normalize(form));
            if (i < s.Length) result.Append(s[i]);
            start = i + 1;
        }
        return result.ToString();
    }

    /// <summary>NFD then drop non-spacing marks: BERT's <c>_run_strip_accents</c>.</summary>
    public static string StripAccents(string s)
    {
        var decomposed = Normalize(s, NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        for (int i = 0; i < decomposed.Length;)
        {
            var (cp, len) = CodePointAt(decomposed, i);
            if (Category(cp) != UnicodeCategory.NonSpacingMark) sb.Append(decomposed, i, len);
            i += len;
        }
        return sb.ToString();
    }
}
