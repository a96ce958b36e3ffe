using System.Text;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// RFC 4180 records from a CSV file: fields may be quoted, quotes doubled inside, and quoted fields may span lines. TSV
/// (tab-separated) fields are taken as written, quotes included, as GLUE's and most TSV files are.
/// </summary>
internal sealed class DelimitedRecords(TextReader reader, char separator)
{
    readonly bool quoting = separator != '\t';

    int linesRead;

    /// <summary>The next record's fields, or null at the end; <paramref name="line"/> is the record's first 1-based line.</summary>
    public string[]? Next(out int line)
    {
        line = linesRead + 1;
        var text = reader.ReadLine();
        if (text is null) return null;
        linesRead++;
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; ; i++)
        {
            if (i == text.Length)
            {
                if (!quoted) break;
                var more = reader.ReadLine();
                if (more is null) break;
                linesRead++;
                field.Append('\n');
                text = more; i = -1;
                continue;
            }
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"' && quoting && field.Length == 0) quoted = true;
            else if (c == separator) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields.ToArray();
    }
}
