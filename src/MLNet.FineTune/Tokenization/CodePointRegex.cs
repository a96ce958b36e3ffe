using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// A <c>tokenizer.json</c> Split regex run the way Hugging Face runs it (Oniguruma over code points). .NET's
/// <see cref="Regex"/> sees a character outside the BMP as two surrogates that are neither letters nor numbers, so the
/// text is matched through a stand-in with one UTF-16 unit per code point: every supplementary character is replaced by
/// a BMP character of the same Unicode category (what <c>\p{L}</c>, <c>\p{N}</c>, <c>\s</c> test), and match positions
/// are mapped back.
/// </summary>
internal static class CodePointRegex
{
    /// <summary>Per Unicode category, the first BMP character outside ASCII that has it (ASCII left out: literals such as 's' in contractions).</summary>
    static readonly Dictionary<UnicodeCategory, char> StandIns = BuildStandIns();

    public static Regex Compile(string pattern, string path)
    {
        try { return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(10)); }
        catch (ArgumentException e)
        {
            throw new NotSupportedException($"'{path}': the pre-tokenizer Split regex '{pattern}' is not one .NET can compile: {e.Message}", e);
        }
    }

    /// <summary>Non-overlapping matches of <paramref name="regex"/> in <paramref name="text"/> as UTF-16 (start, end) pairs.</summary>
    public static List<(int Start, int End)> Matches(Regex regex, string text)
    {
        var proxy = new StringBuilder(text.Length);
        var at = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length;)
        {
            var (cp, len) = UnicodeText.CodePointAt(text, i);
            proxy.Append(len == 1 ? text[i] : StandIns.GetValueOrDefault(UnicodeText.Category(cp), '\uE000'));
            at.Add(i);
            i += len;
        }
        at.Add(text.Length);
        var result = new List<(int, int)>();
        foreach (Match m in regex.Matches(proxy.ToString()))
            result.Add((at[m.Index], at[m.Index + m.Length]));
        return result;
    }

    static Dictionary<UnicodeCategory, char> BuildStandIns()
    {
        var map = new Dictionary<UnicodeCategory, char>();
        for (int c = 0x80; c <= 0xFFFF; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            map.TryAdd(CharUnicodeInfo.GetUnicodeCategory(c), (char)c);
        }
        return map;
    }
}
