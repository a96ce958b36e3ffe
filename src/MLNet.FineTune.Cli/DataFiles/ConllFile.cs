using MLNet.FineTune.Data;

namespace MLNet.FineTune.Cli.DataFiles;

/// <summary>
/// CoNLL files through the library's <see cref="ConllReader"/> (tag in the last column), fed by a line source that
/// checks UTF-8 and caps line length first; the reader's first format error becomes an issue and ends the file.
/// </summary>
internal static class ConllFile
{
    public static List<JsonlEntry> Read(Stream stream, string file, int maxLineBytes)
    {
        var entries = new List<JsonlEntry>();
        var lines = new CheckedLines(new CappedLineReader(stream, maxLineBytes).Lines().GetEnumerator(), file, maxLineBytes);
        try
        {
            foreach (var sentence in ConllReader.Read(lines, file))
            {
                int line = sentence.LineNumbers[0];
                entries.Add(new JsonlEntry(line, new JsonlExample(line, JsonlFormat.TokensTags) { Tokens = sentence.Words, Tags = sentence.Tags }, null));
            }
        }
        catch (ConllFormatException e)
        {
            entries.Add(new JsonlEntry(e.LineNumber, null, new DataIssue(file, e.LineNumber, "", DataIssueKind.MalformedRow,
                e.Problem + " (expected: token ... tag, separated by spaces or tabs; blank lines between sentences)")));
        }
        if (lines.Issue is { } issue) entries.Add(new JsonlEntry(issue.Line, null, issue));
        return entries;
    }

    /// <summary>Lines for <see cref="ConllReader"/>; at the first undecodable or over-long line it records the issue and ends.</summary>
    sealed class CheckedLines(IEnumerator<CappedLineReader.Line> lines, string file, int maxLineBytes) : TextReader
    {
        public DataIssue? Issue { get; private set; }

        public override string? ReadLine()
        {
            if (Issue is not null || !lines.MoveNext()) return null;
            var line = lines.Current;
            if (line.Bytes is null)
                Issue = new DataIssue(file, line.Number, "", DataIssueKind.LineTooLong, $"the line is {line.Length:N0} bytes, over the limit of {maxLineBytes:N0}");
            else if (LineText.Decode(line, file) is { } text) return text;
            else Issue = LineText.Utf8Issue(file, line.Number);
            return null;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) lines.Dispose();
            base.Dispose(disposing);
        }
    }
}
