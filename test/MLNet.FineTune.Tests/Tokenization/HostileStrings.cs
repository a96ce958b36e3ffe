using System.Text;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>
/// Strings a user's data may hold that tokenizers find hard: unpaired UTF-16 surrogates, characters outside the BMP,
/// control and format characters, combining marks, unusual whitespace, very long words. Any .NET string is valid
/// tokenizer input.
/// </summary>
internal static class HostileStrings
{
    /// <summary>Hand-picked cases, each named for what it holds.</summary>
    public static IReadOnlyList<(string Name, string Text)> Named { get; } =
    [
        ("lone-high-surrogate", "good \uD83D movie"),
        ("lone-low-surrogate", "bad\uDE00film"),
        ("surrogates-reversed", "x\uDE00\uD83Dy"),
        ("only-a-lone-surrogate", "\uD800"),
        ("trailing-high-surrogate", "ends with \uDBFF"),
        ("emoji-and-zwj-family", "great 👨‍👩‍👧‍👦 movie 😀😀 🙂!"),
        ("non-bmp-cjk-and-math", "𠀀𠀁 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙"),
        ("control-characters", "a\u0000b\u0001c\u0007\u001B[31mred\u007F\u0085\u009F"),
        ("format-characters", "\uFEFFbom\u200Bzero\u200Dwidth\u202Ertl\u2066iso\u2069"),
        ("combining-marks-pile", "e" + new string('\u0301', 300) + " zalgo" + string.Concat(Enumerable.Repeat("\u0336\u0335", 50))),
        ("unusual-whitespace", "a\u00A0b\u2028c\u2029d\u3000e\u1680f\t\r\n\u000B\u000Cg"),
        ("replacement-characters", "\uFFFD\uFFFD text \uFFFD"),
        ("noncharacters", "\uFFFE\uFFFF \U0010FFFF \U000FFFFE"),
        ("hangul-jamo", "\u1100\u1161\u11A8 \u110B\u1175"),
        ("cjk-ideographs", "日本語のテキスト 中文"),
        ("long-word-2000-letters", new string('a', 2000)),
        ("long-word-20000-mixed", string.Concat(Enumerable.Repeat("abcé😀", 4000))),
        ("long-run-of-punctuation", new string('!', 5000)),
        ("empty", ""),
        ("whitespace-only", " \t\n \u3000 "),
        ("special-token-text", "[CLS] <s> </s> <mask> [SEP] <|endoftext|> [PAD]"),
        ("sigma-and-dotted-i", "ΟΔΟΣ İstanbul ǅ"),
    ];

    /// <summary>A seeded random string over the hostile alphabet (lone surrogates, non-BMP, controls, marks, long words).</summary>
    public static string Random(Random random, int maxLength = 200)
    {
        int length = random.Next(maxLength + 1);
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            switch (random.Next(12))
            {
                case 0: text.Append((char)random.Next(0xD800, 0xE000)); break;                          // any surrogate, usually unpaired
                case 1: text.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x110000))); break;          // any supplementary-plane code point
                case 2: text.Append((char)random.Next(0, 0x20)); break;                                 // C0 controls
                case 3: text.Append((char)random.Next(0x300, 0x370)); break;                            // combining marks
                case 4: text.Append(" \t\n\u00A0\u2028\u3000"[random.Next(6)]); break;
                case 5: text.Append(char.ConvertFromUtf32(random.Next(0x1F300, 0x1FAFF))); break;       // emoji
                case 6: text.Append((char)random.Next(0x4E00, 0x9FFF)); break;                          // CJK
                case 7: text.Append(new string((char)random.Next('a', 'z' + 1), random.Next(1, 300))); break; // long word
                case 8: text.Append((char)random.Next(0x80, 0x800)); break;                             // accented / Greek / Cyrillic / …
                case 9: text.Append("!?.,'\"-_()[]<>"[random.Next(14)]); break;
                case 10: text.Append((char)random.Next(0x800, 0xD800)); break;                          // rest of the BMP
                default: text.Append((char)random.Next(0x20, 0x7F)); break;
            }
        }
        return text.ToString();
    }
}
