using System.Text;

namespace MLNet.FineTune.Data;

internal enum JinjaTokenKind { Text, OutputBegin, OutputEnd, StatementBegin, StatementEnd, Name, String, Integer, Float, Operator, End }

/// <summary>A token of a Jinja template; <see cref="Position"/> is its offset in the template (for error messages).</summary>
internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Value, int Position);

/// <summary>
/// Splits a Jinja template into text and tag tokens the way transformers' environment does: whitespace control
/// (<c>{%-</c>, <c>-%}</c>, <c>{{-</c>, <c>-}}</c>, <c>+</c> to opt out), <c>trim_blocks</c> (the newline after a
/// statement or comment tag is dropped) and <c>lstrip_blocks</c> (spaces and tabs before a statement or comment tag
/// at the start of a line are dropped); a single newline ending the template is dropped (<c>keep_trailing_newline=False</c>).
/// Comments <c>{# #}</c> vanish.
/// </summary>
internal static class JinjaLexer
{
    static readonly string[] Operators = ["==", "!=", "<=", ">=", "//", "**", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "="];

    public static List<JinjaToken> Tokenize(string source)
    {
        // Jinja's keep_trailing_newline=False (transformers' setting): one newline at the very end is not output.
        if (source.EndsWith("\r\n", StringComparison.Ordinal)) source = source[..^2];
        else if (source.EndsWith('\n')) source = source[..^1];
        var tokens = new List<JinjaToken>();
        int pos = 0;
        bool stripNextText = false;
        while (pos <= source.Length)
        {
            int tag = NextTag(source, pos);
            int textEnd = tag < 0 ? source.Length : tag;
            char kind = tag < 0 ? '\0' : source[tag + 1];
            bool minusBefore = tag >= 0 && tag + 2 < source.Length && source[tag + 2] == '-';
            bool plusBefore = tag >= 0 && tag + 2 < source.Length && source[tag + 2] == '+';
            var text = source[pos..textEnd];
            if (stripNextText) text = text.TrimStart();
            if (minusBefore) text = text.TrimEnd();
            else if (kind is '%' or '#' && !plusBefore) text = LStripBlock(text, source, pos);
            if (text.Length > 0) tokens.Add(new JinjaToken(JinjaTokenKind.Text, text, pos));
            if (tag < 0) break;

            int inner = tag + 2 + (minusBefore || plusBefore ? 1 : 0);
            bool minusAfter;
            int after;
            if (kind == '#')
            {
                int close = source.IndexOf("#}", inner, StringComparison.Ordinal);
                if (close < 0) throw JinjaErrors.Syntax(source, tag, "the comment is not closed with #}");
                minusAfter = close > inner && source[close - 1] == '-';
                after = close + 2;
            }
            else
            {
                bool output = kind == '{';
                tokens.Add(new JinjaToken(output ? JinjaTokenKind.OutputBegin : JinjaTokenKind.StatementBegin, "", tag));
                (after, minusAfter) = TagBody(source, inner, output, tokens);
                tokens.Add(new JinjaToken(output ? JinjaTokenKind.OutputEnd : JinjaTokenKind.StatementEnd, "", after));
            }
            bool plusAfter = kind != '{' && after >= 3 && source[after - 3] == '+';
            // trim_blocks: one newline after a statement or comment tag goes.
            if (!minusAfter && !plusAfter && kind is '%' or '#' && after < source.Length && source[after] == '\n') after++;
            stripNextText = minusAfter;
            pos = after;
        }
        tokens.Add(new JinjaToken(JinjaTokenKind.End, "", source.Length));
        return tokens;
    }

    static int NextTag(string source, int from)
    {
        for (int i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
            if (source[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>lstrip_blocks: spaces/tabs between the start of the line and the tag go (Jinja's rule, including a text that starts a line).</summary>
    static string LStripBlock(string text, string source, int textStart)
    {
        int lineStart = text.LastIndexOf('\n') + 1;
        bool startsLine = lineStart > 0 || textStart == 0 || source[textStart - 1] == '\n';
        if (!startsLine) return text;
        for (int i = lineStart; i < text.Length; i++)
            if (text[i] is not (' ' or '\t')) return text;
        return text[..lineStart];
    }

    /// <summary>Expression tokens up to the closing <c>}}</c> / <c>%}</c>; returns the offset after it and whether it was <c>-}}</c> / <c>-%}</c>.</summary>
    static (int After, bool MinusAfter) TagBody(string s, int i, bool output, List<JinjaToken> tokens)
    {
        string close = output ? "}}" : "%}";
        while (true)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
            if (i >= s.Length) throw JinjaErrors.Syntax(s, i, $"the tag is not closed with {close}");
            if (string.CompareOrdinal(s, i, close, 0, 2) == 0) return (i + 2, false);
            if (s[i] is '-' or '+' && string.CompareOrdinal(s, i + 1, close, 0, 2) == 0)
            {
                if (s[i] == '+' && output) throw JinjaErrors.Syntax(s, i, "'+}}' is not valid");
                return (i + 3, s[i] == '-');
            }
            char c = s[i];
            if (c is '\'' or '"') { i = ReadString(s, i, tokens); continue; }
            if (char.IsAsciiDigit(c))
            {
                int start = i;
                while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '_')) i++;
                bool isFloat = i + 1 < s.Length && s[i] == '.' && char.IsAsciiDigit(s[i + 1]);
                if (isFloat) { i++; while (i < s.Length && char.IsAsciiDigit(s[i])) i++; }
                tokens.Add(new JinjaToken(isFloat ? JinjaTokenKind.Float : JinjaTokenKind.Integer, s[start..i].Replace("_", ""), start));
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                int start = i;
                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_')) i++;
                tokens.Add(new JinjaToken(JinjaTokenKind.Name, s[start..i], start));
                continue;
            }
            var op = Operators.FirstOrDefault(o => string.CompareOrdinal(s, i, o, 0, o.Length) == 0)
                ?? throw JinjaErrors.Syntax(s, i, $"unexpected character '{c}'");
            tokens.Add(new JinjaToken(JinjaTokenKind.Operator, op, i));
            i += op.Length;
        }
    }

    /// <summary>A Python-style string literal with backslash escapes.</summary>
    static int ReadString(string s, int start, List<JinjaToken> tokens)
    {
        char quote = s[start];
        var value = new StringBuilder();
        for (int i = start + 1; i < s.Length; i++)
        {
            char c = s[i];
            if (c == quote)
            {
                tokens.Add(new JinjaToken(JinjaTokenKind.String, value.ToString(), start));
                return i + 1;
            }
            if (c != '\\' || i + 1 >= s.Length) { value.Append(c); continue; }
            char e = s[++i];
            switch (e)
            {
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case '\\': case '\'': case '"': value.Append(e); break;
                case '\n': break;
                default: value.Append('\\').Append(e); break; // Python keeps unknown escapes as written
            }
        }
        throw JinjaErrors.Syntax(s, start, "the string literal is not closed");
    }
}

/// <summary>The errors of the Jinja subset, each naming the line and column in the template.</summary>
internal static class JinjaErrors
{
    public static string Where(string source, int position)
    {
        position = Math.Clamp(position, 0, source.Length);
        int line = 1, column = 1;
        for (int i = 0; i < position; i++)
        {
            if (source[i] == '\n') { line++; column = 1; }
            else column++;
        }
        return $"line {line}, column {column}";
    }

    public static FormatException Syntax(string source, int position, string message) =>
        new($"Chat template syntax error at {Where(source, position)}: {message}.");

    public static NotSupportedException Unsupported(string source, int position, string construct) =>
        new($"The chat template uses {construct} at {Where(source, position)}, which the built-in template interpreter does not support " +
            "(a safe subset of Jinja: text, {{ }}, for, if/elif/else, set, loop.*, filters trim/length/lower/upper/string/first/last, " +
            "tests defined/none/string/number, raise_exception). Use a built-in template (ChatML, Llama-3) instead.");
}
