using System.Text;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Cli.DataFiles;

/// <summary>
/// Reads CSV or TSV with a header row into text/label examples (RFC 4180 quoting: quoted fields may hold the
/// separator, doubled quotes and line breaks). Streams like <see cref="JsonlReader"/>: each record is an example or one
/// <see cref="DataIssue"/>; a header without the chosen columns is one issue on line 1 and ends the file.
/// </summary>
internal static class DelimitedReader
{
    public static IEnumerable<JsonlEntry> Read(Stream stream, string file, char separator, DataColumns columns, int maxLineBytes)
    {
        string[]? header = null;
        int text = -1, pair = -1, label = -1;
        foreach (var (line, fields, issue) in Records(stream, file, separator, maxLineBytes))
        {
            if (issue is not null) { yield return new JsonlEntry(line, null, issue); if (header is null) yield break; continue; }
            if (header is null)
            {
                header = fields!.Select(f => f.Trim()).ToArray();
                var missing = Column(header, columns.Text, "--text-column", out text, file, line)
                    ?? (columns.RequirePair ? Column(header, columns.TextPair, "--text-pair-column", out pair, file, line) : null)
                    ?? (columns.RequireLabels ? Column(header, columns.Label, "--label-column", out label, file, line) : null);
                if (!columns.RequireLabels) label = Array.IndexOf(header, columns.Label);
                if (!columns.RequirePair) pair = Array.IndexOf(header, columns.TextPair);
                if (missing is not null) { yield return new JsonlEntry(line, null, missing); yield break; }
                continue;
            }
            yield return Row(file, line, fields!, header, text, pair, label, columns);
        }
    }

    static DataIssue? Column(string[] header, string name, string flag, out int index, string file, int line)
    {
        index = Array.IndexOf(header, name);
        return index >= 0 ? null : new DataIssue(file, line, name, DataIssueKind.MissingKey,
            $"no column '{name}' in the header; found {string.Join(", ", header.Take(20).Select(h => $"'{h}'"))}; choose the column with {flag}");
    }

    static JsonlEntry Row(string file, int line, string[] fields, string[] header, int text, int pair, int label, DataColumns columns)
    {
        DataIssue Fail(string field, DataIssueKind kind, string message) => new(file, line, field, kind, message);
        if (fields.Length != header.Length)
            return new(line, null, Fail("", DataIssueKind.MalformedRow, $"expected {header.Length} fields (as in the header), found {fields.Length}; quote fields that contain the separator"));
        if (string.IsNullOrWhiteSpace(fields[text])) return new(line, null, Fail(columns.Text, DataIssueKind.EmptyText, $"'{columns.Text}' is empty"));
        if (pair >= 0 && string.IsNullOrWhiteSpace(fields[pair])) return new(line, null, Fail(columns.TextPair, DataIssueKind.EmptyText, $"'{columns.TextPair}' is empty"));
        string? labelText = label >= 0 ? fields[label].Trim() : null;
        if (columns.RequireLabels && string.IsNullOrEmpty(labelText)) return new(line, null, Fail(columns.Label, DataIssueKind.EmptyText, "the label is empty"));
        var format = pair >= 0 ? JsonlFormat.TextPairLabel : JsonlFormat.TextLabel;
        return new(line, new JsonlExample(line, format) { Text = fields[text], TextPair = pair >= 0 ? fields[pair] : null, Label = string.IsNullOrEmpty(labelText) ? null : labelText }, null);
    }

    /// <summary>Records (a quoted field may span lines; a record's number is its first line), or an issue for a line.</summary>
    static IEnumerable<(int Line, string[]? Fields, DataIssue? Issue)> Records(Stream stream, string file, char separator, int maxLineBytes)
    {
        StringBuilder? pending = null;
        int start = 0;
        bool openQuote = false; // an odd number of '"' so far: a quoted field goes on past this line
        foreach (var raw in new CappedLineReader(stream, maxLineBytes).Lines())
        {
            if (raw.Bytes is null)
            {
                pending = null; openQuote = false;
                yield return (raw.Number, null, new DataIssue(file, raw.Number, "", DataIssueKind.LineTooLong, $"the line is {raw.Length:N0} bytes, over the limit of {maxLineBytes:N0}"));
                continue;
            }
            if (LineText.Decode(raw, file) is not { } decoded)
            {
                pending = null; openQuote = false;
                yield return (raw.Number, null, LineText.Utf8Issue(file, raw.Number));
                continue;
            }
            if (pending is null)
            {
                if (decoded.Trim().Length == 0) continue;
                start = raw.Number;
                pending = new StringBuilder(decoded);
            }
            else
            {
                pending.Append('\n').Append(decoded);
                if (pending.Length > maxLineBytes)
                {
                    pending = null; openQuote = false;
                    yield return (start, null, new DataIssue(file, start, "", DataIssueKind.MalformedRow, $"a quoted field opened here runs past {maxLineBytes:N0} characters; a quote is probably not closed"));
                    continue;
                }
            }
            // Counting quotes per line keeps a long quoted field linear; a doubled quote ("") counts twice, so parity holds.
            if ((decoded.Count(c => c == '"') & 1) == 1) openQuote = !openQuote;
            if (openQuote) continue;
            var (fields, error) = Split(pending.ToString(), separator);
            pending = null;
            yield return error is null && fields is not null ? (start, fields, null)
                : (start, null, new DataIssue(file, start, "", DataIssueKind.MalformedRow, error ?? "a quoted field is not closed"));
        }
        if (pending is not null)
            yield return (start, null, new DataIssue(file, start, "", DataIssueKind.MalformedRow, "a quoted field opened in this record is never closed"));
    }

    /// <summary>The fields of a record; (null, null) when a quoted field is still open at the end.</summary>
    static (string[]? Fields, string? Error) Split(string record, char separator)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int i = 0;
        while (true)
        {
            field.Clear();
            if (i < record.Length && record[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= record.Length) return (null, null);
                    if (record[i] == '"')
                    {
                        if (i + 1 < record.Length && record[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(record[i++]);
                }
                if (i < record.Length && record[i] != separator)
                    return (null, $"unexpected text after the closing quote of field {fields.Count + 1}; a quote inside a quoted field is written twice (\"\")");
            }
            else
            {
                while (i < record.Length && record[i] != separator) field.Append(record[i++]);
            }
            fields.Add(field.ToString());
            if (i >= record.Length) return (fields.ToArray(), null);
            i++; // the separator
        }
    }
}

/// <summary>Decoding one line's bytes for the line-based readers (CSV/TSV, CoNLL): strict UTF-8, BOM and '\r' removed.</summary>
internal static class LineText
{
    static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    public static string? Decode(CappedLineReader.Line line, string file)
    {
        var bytes = line.Bytes.AsSpan();
        if (line.Number == 1 && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        if (bytes.EndsWith("\r"u8)) bytes = bytes[..^1];
        try { return Strict.GetString(bytes); }
        catch (DecoderFallbackException) { return null; }
    }

    public static DataIssue Utf8Issue(string file, int line) =>
        new(file, line, "", DataIssueKind.InvalidUtf8, "the line is not valid UTF-8; save the file as UTF-8");
}
