using MLNet.FineTune.Cli.DataFiles;
using System.ComponentModel;
using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Cli.Validation;
using MLNet.FineTune.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli.Commands;

/// <summary><c>mlnet-finetune validate</c>: errors with file, line and field; warnings that may spoil training.</summary>
internal sealed class ValidateCommand : Command<ValidateCommand.Settings>
{
    /// <summary>The command's arguments and options.</summary>
    internal sealed class Settings : DataFileSettings
    {
        [CommandArgument(0, "<file>")]
        [Description("The training data: JSONL (chat messages, prompt/completion, text/label, text/text_pair/label, tokens/tags), CSV/TSV with a header, or CoNLL.")]
        public string File { get; init; } = "";

        [CommandOption("--validation <file>")]
        [Description("A validation file of the same kind: checked too, plus overlap with the training file and labels it has that training lacks.")]
        public string? Validation { get; init; }

        [CommandOption("--model <model>")]
        [Description("Measure token lengths with this model's tokenizer (minilm, arctic-xs or a model folder; weights are not loaded). Without it lengths are not checked.")]
        public string? Model { get; init; }

        [CommandOption("--max-length <tokens>")]
        [Description("The training max length: longer examples are reported as truncated (with --model).")]
        [DefaultValue(128)]
        public int MaxLength { get; init; } = 128;

        [CommandOption("--strict")]
        [Description("Exit with 1 when there are warnings (errors always exit with 2).")]
        public bool Strict { get; init; }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        CliOutput.Guard(settings.Json, () => Run(settings));

    static int Run(Settings settings)
    {
        if (settings.MaxLength <= 0) throw new UserError($"--max-length {settings.MaxLength}: must be a positive number of tokens.");
        var columns = settings.Columns(requireLabels: true);
        var train = DataFile.Load(settings.File, DataFileFormats.Resolve(settings.Format, settings.File), columns);
        var validation = settings.Validation is { } v ? DataFile.Load(v, DataFileFormats.Resolve(settings.Format, v), columns) : null;

        var errors = new List<DataIssue>();
        int errorCount = 0;
        foreach (var file in validation is null ? [train] : new[] { train, validation })
        {
            errors.AddRange(file.Issues);
            errorCount += file.IssueCount;
            if (file.Examples.Count == 0 && file.IssueCount == 0)
            {
                errors.Add(new DataIssue(file.Name, 0, "", DataIssueKind.EmptyText, "the file holds no examples"));
                errorCount++;
            }
        }
        if (validation is { Examples.Count: > 0 } && train.Examples.Count > 0 && validation.Examples[0].Format != train.Examples[0].Format)
        {
            errors.Add(new DataIssue(validation.Name, 0, "", DataIssueKind.InvalidValue,
                $"the validation examples are {validation.FormatName} but the training examples are {train.FormatName}; both files need the same format"));
            errorCount++;
        }

        var warnings = DatasetChecks.Run(train, validation);
        List<TokenLengthReport>? lengths = null;
        if (settings.Model is { } model)
        {
            var (tokenizer, name) = TokenizerChoice.Load(model);
            lengths = [];
            foreach (var file in validation is null ? [train] : new[] { train, validation })
            {
                var longLines = new List<int>();
                var report = TokenLengthReport.Measure(file, tokenizer, name, settings.MaxLength, longLines);
                lengths.Add(report);
                if (report.Truncated > 0)
                    warnings.Add(new ValidationWarning("truncated", file.Name,
                        $"{report.Truncated} of {report.Examples} examples are longer than --max-length {settings.MaxLength} tokens ({name}) and will be truncated " +
                        $"(longest {report.Max}, p95 {report.P95}; lines {string.Join(", ", longLines.Take(5))}{(longLines.Count > 5 ? ", …" : "")}); raise --max-length or shorten them",
                        longLines.Take(10).ToList()));
            }
        }

        int exit = errorCount > 0 ? ExitCode.Error : warnings.Count > 0 && settings.Strict ? ExitCode.Warnings : ExitCode.Ok;
        var files = (validation is null ? [train] : new[] { train, validation }).Select((f, i) =>
            new FileSummary(f.Name, i == 0 ? "train" : "validation", f.Layout.ToString().ToLowerInvariant(), f.FormatName, f.Examples.Count, f.IssueCount,
                DatasetChecks.Labels(f), DatasetChecks.IsRegression(f))).ToList();
        var result = new ValidationReport(files, errors.Select(IssueJson.Of).ToList(), errorCount, warnings, lengths, exit);
        if (settings.Json) CliOutput.WriteJson(result);
        else result.Render(AnsiConsole.Console);
        return exit;
    }
}
