using System.Text;

namespace MLNet.FineTune.Data;

/// <summary>
/// Reads CoNLL-style NER files: one word per line with its tag in a column, blank lines between sentences,
/// optional <c>-DOCSTART-</c> lines between documents.
/// </summary>
/// <remarks>
/// Tolerates what real files contain: a UTF-8 BOM at the start, stray U+FEFF characters anywhere (removed: WNUT-17's
/// dev file ends with a line holding only a BOM and has one glued to a token), lines of only whitespace (WNUT-17
/// separates sentences with a lone tab) and repeated blank lines.
/// </remarks>
public static class ConllReader
{
    /// <summary>All sentences of a UTF-8 file; errors name the file and line.</summary>
    /// <exception cref="ConllFormatException">A row has too few columns or an empty token or tag.</exception>
    public static List<ConllSentence> ReadFile(string path, ConllReaderOptions? options = null)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, Path.GetFileName(path), options).ToList();
    }

    /// <summary>Sentences of a text stream, read lazily.</summary>
    /// <param name="reader">The text; a leading BOM is removed like any other U+FEFF.</param>
    /// <param name="sourceName">Name used in error messages, usually the file name.</param>
    /// <param name="options">Column layout; null for <see cref="ConllReaderOptions.Conll2003"/>-like defaults (tag in the last column).</param>
    public static IEnumerable<ConllSentence> Read(TextReader reader, string sourceName, ConllReaderOptions? options = null)
    {
        options ??= new ConllReaderOptions();
        var words = new List<string>();
        var tags = new List<string>();
        var lines = new List<int>();
        int document = -1, lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNumber++;
            // U+FEFF is never meaningful in a token; WNUT-17 has stray ones mid-file and a BOM-only last line.
            if (line.Contains('\uFEFF')) line = line.Replace("\uFEFF", "");
            if (string.IsNullOrWhiteSpace(line))
            {
                if (words.Count > 0) yield return Flush(words, tags, lines, document);
                continue;
            }
            var columns = Split(line, options.Separator);
            if (options.DocumentStartToken != null && columns[0] == options.DocumentStartToken)
            {
                if (words.Count > 0) yield return Flush(words, tags, lines, document);
                document++;
                continue;
            }
            var (word, tag) = ParseRow(columns, options, sourceName, lineNumber);
            words.Add(word);
            tags.Add(tag);
            lines.Add(lineNumber);
        }
        if (words.Count > 0) yield return Flush(words, tags, lines, document);
    }

    static string[] Split(string line, char? separator) => separator is { } s
        ? line.Split(s)
        : line.Split((char[]?)[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    static (string Word, string Tag) ParseRow(string[] columns, ConllReaderOptions options, string sourceName, int lineNumber)
    {
        if (columns.Length < options.RequiredColumns)
            throw new ConllFormatException(sourceName, lineNumber,
                $"expected at least {options.RequiredColumns} columns, found {columns.Length}");
        int tagIndex = options.TagColumn >= 0 ? options.TagColumn : columns.Length + options.TagColumn;
        if (tagIndex == options.TokenColumn)
            throw new ConllFormatException(sourceName, lineNumber,
                $"the tag column ({options.TagColumn}) is the token column ({options.TokenColumn}) in a row of {columns.Length} columns");
        string word = columns[options.TokenColumn].Trim();
        string tag = columns[tagIndex].Trim();
        if (options.LanguagePrefix is { Length: > 0 } prefix && word.StartsWith(prefix, StringComparison.Ordinal))
            word = word[prefix.Length..];
        if (word.Length == 0)
            throw new ConllFormatException(sourceName, lineNumber, $"empty token in column {options.TokenColumn}");
        if (tag.Length == 0)
            throw new ConllFormatException(sourceName, lineNumber, $"empty tag in column {tagIndex}");
        return (word, tag);
    }

    static ConllSentence Flush(List<string> words, List<string> tags, List<int> lines, int document)
    {
        var sentence = new ConllSentence([.. words], [.. tags], [.. lines], Math.Max(document, 0));
        words.Clear();
        tags.Clear();
        lines.Clear();
        return sentence;
    }
}
