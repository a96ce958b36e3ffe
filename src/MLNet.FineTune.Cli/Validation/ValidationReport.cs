using MLNet.FineTune.Cli.DataFiles;
using MLNet.FineTune.Data;
using Spectre.Console;

namespace MLNet.FineTune.Cli.Validation;

/// <summary>One error as written by <c>--json</c>.</summary>
internal sealed record IssueJson(string File, int Line, string Field, string Kind, string Message)
{
    public static IssueJson Of(DataIssue issue) => new(issue.File, issue.Line, issue.Field, issue.KindName, issue.Message);
}

/// <summary>What <c>validate</c> found about one file.</summary>
internal sealed record FileSummary(string File, string Role, string Layout, string Format, int Examples, int Errors, IReadOnlyList<LabelCount>? Labels, bool Regression);

/// <summary><c>validate</c>'s result: the <c>--json</c> document, and its human rendering.</summary>
internal sealed record ValidationReport(
    IReadOnlyList<FileSummary> Files, IReadOnlyList<IssueJson> Errors, int ErrorCount, IReadOnlyList<ValidationWarning> Warnings,
    IReadOnlyList<TokenLengthReport>? TokenLengths, int ExitCode)
{
    public string Command => "validate";
    public bool Ok => ErrorCount == 0;

    const int ErrorsShown = 50;

    /// <summary>Plain lines (one per error or warning, never wrapped, so grep and editors' "file:line" links work) and tables.</summary>
    public void Render(IAnsiConsole console)
    {
        var output = Console.Out;
        foreach (var file in Files)
            output.WriteLine($"{file.File} ({file.Role}): {file.Layout.ToLowerInvariant()}, {file.Format}, {file.Examples} valid examples, {file.Errors} errors");
        foreach (var error in Errors.Take(ErrorsShown))
            output.WriteLine($"error: {error.File}{(error.Line > 0 ? $":{error.Line}" : "")}: {(error.Field.Length > 0 ? error.Field + ": " : "")}{error.Kind}: {error.Message}");
        if (ErrorCount > ErrorsShown) output.WriteLine($"… and {ErrorCount - ErrorsShown} more errors (--json lists the first {Math.Min(ErrorCount, DataFile.MaxIssuesKept)})");
        RenderLabels(console);
        foreach (var lengths in TokenLengths ?? []) RenderLengths(console, lengths);
        foreach (var warning in Warnings)
            output.WriteLine($"warning: {warning.File}: {warning.Kind}: {warning.Message}");
        output.WriteLine(ErrorCount > 0 ? $"FAILED: {ErrorCount} errors, {Warnings.Count} warnings (exit {ExitCode})"
            : Warnings.Count > 0 ? $"OK with {Warnings.Count} warnings (exit {ExitCode}{(ExitCode == 0 ? "; --strict fails on warnings" : "")})"
            : "OK: no errors, no warnings");
    }

    void RenderLabels(IAnsiConsole console)
    {
        var withLabels = Files.Where(f => f.Labels is not null).ToList();
        if (withLabels.Count == 0) return;
        var table = new Table().Title("Labels").AddColumn("Label");
        foreach (var f in withLabels) table.AddColumn(new TableColumn(f.Role).RightAligned());
        foreach (var label in withLabels[0].Labels!.Select(l => l.Label).Union(withLabels.Skip(1).SelectMany(f => f.Labels!.Select(l => l.Label))).Take(50))
            table.AddRow([new Text(label), .. withLabels.Select(f => new Text((f.Labels!.FirstOrDefault(l => l.Label == label)?.Count ?? 0).ToString()))]);
        console.Write(table);
    }

    static void RenderLengths(IAnsiConsole console, TokenLengthReport lengths)
    {
        var table = new Table().Title($"Token lengths of {lengths.File} ({lengths.Model}; max {lengths.Max}, median {lengths.Median}, p95 {lengths.P95})")
            .AddColumn("Tokens").AddColumn(new TableColumn("Examples").RightAligned()).AddColumn("");
        int widest = Math.Max(1, lengths.Histogram.Max(b => b.Count));
        // Bins past both the longest example and the max length are empty and say nothing.
        int last = lengths.Histogram.ToList().FindLastIndex(b => b.Count > 0 || b.From <= lengths.MaxLength);
        foreach (var bin in lengths.Histogram.Take(last + 1))
        {
            var range = bin.To is { } to ? $"{bin.From}-{to}" : $"{bin.From}+";
            var over = bin.From > lengths.MaxLength ? " (truncated)" : bin.To > lengths.MaxLength ? " (partly truncated)" : "";
            table.AddRow(new Text(range + over), new Text(bin.Count.ToString()), new Text(new string('#', (int)Math.Ceiling(30.0 * bin.Count / widest))));
        }
        console.Write(table);
    }
}
