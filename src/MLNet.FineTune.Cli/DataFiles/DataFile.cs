using MLNet.FineTune.Data;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Cli.DataFiles;

/// <summary>A data file read whole for checking: its valid examples, its issues (the first <see cref="MaxIssuesKept"/>) and how many there were.</summary>
internal sealed record DataFile(string Path, string Name, DataFileFormat Layout, List<JsonlExample> Examples, List<DataIssue> Issues, int IssueCount)
{
    /// <summary>Issues kept for the report; a file of random bytes has one per line, and the first few say enough.</summary>
    public const int MaxIssuesKept = 1000;

    /// <summary>The examples' format (<c>text_label</c>, <c>chat</c>…); the layout's name when no line was valid.</summary>
    public string FormatName => Examples.Count > 0 ? JsonlFormats.Name(Examples[0].Format) : Layout.ToString().ToLowerInvariant();

    /// <summary>Reads a file (regular files only: a FIFO or /dev/zero would never end).</summary>
    public static DataFile Load(string path, DataFileFormat layout, DataColumns columns, int maxLineBytes = JsonlReaderOptions.DefaultMaxLineBytes)
    {
        using var stream = UserFile.OpenRead(path, "data file");
        var name = System.IO.Path.GetFileName(path);
        var examples = new List<JsonlExample>();
        var issues = new List<DataIssue>();
        int issueCount = 0;
        foreach (var entry in Entries(stream, name, layout, columns, maxLineBytes))
        {
            if (entry.Example is { } example) examples.Add(example);
            else if (entry.Issue is { } issue && issueCount++ < MaxIssuesKept) issues.Add(issue);
        }
        return new DataFile(path, name, layout, examples, issues, issueCount);
    }

    /// <summary>The entries of a stream in any layout, lazily (CoNLL: read whole first).</summary>
    public static IEnumerable<JsonlEntry> Entries(Stream stream, string name, DataFileFormat layout, DataColumns columns, int maxLineBytes = JsonlReaderOptions.DefaultMaxLineBytes) => layout switch
    {
        DataFileFormat.Jsonl => JsonlReader.Read(stream, name, columns.JsonlOptions(maxLineBytes)),
        DataFileFormat.Csv => DelimitedReader.Read(stream, name, ',', columns, maxLineBytes),
        DataFileFormat.Tsv => DelimitedReader.Read(stream, name, '\t', columns, maxLineBytes),
        _ => ConllFile.Read(stream, name, maxLineBytes),
    };
}
