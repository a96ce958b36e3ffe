using MLNet.FineTune.Cli.DataFiles;
using MLNet.FineTune.Cli.Output;
using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using MLNet.FineTune.Cli.Reports;
using MLNet.FineTune.Cli.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli.Commands;

/// <summary><c>mlnet-finetune evaluate</c>.</summary>
internal sealed class EvaluateCommand : Command<EvaluateCommand.Settings>
{
    /// <summary>The command's arguments and options.</summary>
    internal sealed class Settings : CommonSettings
    {
        [CommandOption("--model <ZIP>")]
        [Description("The model zip (model.zip of a train run).")]
        public string? Model { get; init; }

        [CommandOption("--data <FILE>")]
        [Description("Labelled data in a format train reads (JSONL, CSV/TSV, CoNLL; completions: prompt/completion or chat JSONL, the last assistant message being the reference).")]
        public string? Data { get; init; }

        [CommandOption("-o|--output <DIR>")]
        [Description("Write metrics.json, errors.jsonl (misclassified rows, most confident first; completions: each greedy completion that differs from its reference) and confusion.png (classification) here.")]
        public string? Output { get; init; }

        [CommandOption("--text-column <NAME>")]
        [Description("Field or CSV column of the text. Default text.")]
        public string? TextColumn { get; init; }

        [CommandOption("--pair-column <NAME>")]
        [Description("Field or CSV column of the second text. Default text_pair.")]
        public string? PairColumn { get; init; }

        [CommandOption("--label-column <NAME>")]
        [Description("Field or CSV column of the label. Default label.")]
        public string? LabelColumn { get; init; }

        [CommandOption("--max-new-tokens <N>")]
        [Description("completions: most tokens of each greedy completion compared with the reference. Default: the model's (64 unless train --max-new-tokens).")]
        public int? MaxNewTokens { get; init; }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) => CliOutput.Guard(settings.Json, () => Run(settings));

    static int Run(Settings s)
    {
        if (s.Model is null) throw new UserError("--model is required (a model zip).");
        if (s.Data is null) throw new UserError("--data is required (a labelled data file).");
        var (ml, fitted) = FittedModel.LoadAny(s.Model);
        var task = fitted.Task;
        var columns = new DataColumns(s.TextColumn ?? "text", s.PairColumn ?? "text_pair", s.LabelColumn ?? "label");
        var evaluation = task switch
        {
            CliTask.MultiTask => ModelEvaluation.RunMultiTask(ml, fitted.FineTune!, LabelledData.ReadMultiTask(s.Data, fitted.Heads!, columns), fitted.Heads!),
            // Unlabelled (anchor, positive) pairs are evaluated by retrieval; labels choose correlation or threshold measures.
            CliTask.Embeddings => EmbeddingPairReport.Run(fitted.Embedding!, LabelledData.Read(s.Data, task, columns with { RequireLabels = false })),
            CliTask.SetFit => ModelEvaluation.RunSetFit(ml, fitted.Model, LabelledData.Read(s.Data, task, columns)),
            CliTask.Completions => CompletionEvaluation.Run(fitted.Generation!, CompletionData.Read(s.Data), s.MaxNewTokens),
            _ => ModelEvaluation.Run(ml, fitted.FineTune!, LabelledData.Read(s.Data, task, columns), task),
        };
        var summary = new Dictionary<string, object?>
        {
            ["model"] = Path.GetFullPath(s.Model), ["data"] = Path.GetFullPath(s.Data), ["task"] = evaluation.Task, ["rows"] = evaluation.Rows,
            ["metrics"] = evaluation.Metrics, ["errors"] = evaluation.Errors.Count,
            [task == CliTask.Ner ? "per_entity_type" : "per_class"] = evaluation.PerClass.Select(c => new Dictionary<string, object>
            {
                [task == CliTask.Ner ? "type" : "label"] = c.Label, ["precision"] = c.Precision, ["recall"] = c.Recall, ["f1"] = c.F1, ["support"] = c.Support,
            }).ToList(),
        };
        IReadOnlyList<string> files = [];
        if (s.Output is not null)
        {
            files = evaluation.Write(s.Output, summary);
            summary["output"] = Path.GetFullPath(s.Output);
            summary["files"] = files;
        }
        if (s.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(summary, JsonOutput.Options));
            return ExitCode.Ok;
        }
        var metrics = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        foreach (var (k, v) in evaluation.Metrics) metrics.AddRow(k, v.ToString("F4", CultureInfo.InvariantCulture));
        metrics.AddRow("rows", evaluation.Rows.ToString(CultureInfo.InvariantCulture));
        metrics.AddRow("errors", evaluation.Errors.Count.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(metrics);
        if (evaluation.PerClass.Count > 0)
        {
            var perClass = new Table().AddColumn(task == CliTask.Ner ? "entity type" : "class");
            foreach (var h in new[] { "precision", "recall", "f1", "support" }) perClass.AddColumn(new TableColumn(h).RightAligned());
            foreach (var c in evaluation.PerClass)
                perClass.AddRow(Markup.Escape(c.Label), c.Precision.ToString("F3", CultureInfo.InvariantCulture), c.Recall.ToString("F3", CultureInfo.InvariantCulture),
                    c.F1.ToString("F3", CultureInfo.InvariantCulture), c.Support.ToString(CultureInfo.InvariantCulture));
            AnsiConsole.Write(perClass);
        }
        if (files.Count > 0) AnsiConsole.MarkupLine($"Wrote {Markup.Escape(string.Join(", ", files))} to {Markup.Escape(Path.GetFullPath(s.Output!))}");
        return ExitCode.Ok;
    }
}
