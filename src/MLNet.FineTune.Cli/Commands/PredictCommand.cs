using MLNet.FineTune.Cli.DataFiles;
using System.ComponentModel;
using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Cli.Prediction;
using MLNet.FineTune.Cli.Reports;
using MLNet.FineTune.Cli.Validation;
using MLNet.FineTune.Data;
using MLNet.FineTune.Persistence;
using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli.Commands;

/// <summary><c>mlnet-finetune predict</c>: a JSONL/CSV file or stdin in, one JSON line per input out, scored in batches.</summary>
internal sealed class PredictCommand : Command<PredictCommand.Settings>
{
    /// <summary>The command's arguments and options.</summary>
    internal sealed class Settings : DataFileSettings
    {
        [CommandOption("-m|--model <model.zip>")]
        [Description("The fitted model (the zip written by train or MLContext.Model.Save).")]
        public string Model { get; init; } = "";

        [CommandArgument(0, "[input]")]
        [Description("Inputs: a JSONL file ({\"text\": ...} per line, plus \"text_pair\" for pair models), a CSV/TSV file with a header, or nothing for JSONL on stdin.")]
        [DefaultValue("-")]
        public string Input { get; init; } = "-";

        [CommandOption("--batch-size <rows>")]
        [Description("Inputs scored together (and written before reading on).")]
        [DefaultValue(64)]
        public int BatchSize { get; init; } = 64;
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        CliOutput.Guard(settings.Json, () => Run(settings, cancellationToken));

    static int Run(Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(settings.Model)) throw new UserError("--model is required: the model.zip to score with.");
        if (settings.BatchSize <= 0) throw new UserError($"--batch-size {settings.BatchSize}: must be a positive number of rows.");
        var stdin = settings.Input == "-";
        var layout = stdin && settings.Format is "auto" ? DataFileFormat.Jsonl : DataFileFormats.Resolve(settings.Format, settings.Input);
        if (layout == DataFileFormat.Conll) throw new UserError("predict reads JSONL, CSV or TSV; a CoNLL file holds tags already (use evaluate).");
        var model = LoadedModel.Load(settings.Model);
        var pairs = model.TextColumns.Count > 1;

        var columns = settings.Columns(requireLabels: false, pairs);
        using var stream = stdin ? Console.OpenStandardInput() : UserFile.OpenRead(settings.Input, "input file");
        var name = stdin ? "stdin" : Path.GetFileName(settings.Input);
        var batch = new List<PredictInput>(settings.BatchSize);
        foreach (var entry in DataFile.Entries(stream, name, layout, columns))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.Issue is { } issue) throw new UserError(issue.ToString());
            batch.Add(Input(entry.Example!, name, pairs, settings));
            if (batch.Count == settings.BatchSize) Score(model, batch);
        }
        Score(model, batch);
        return ExitCode.Ok;
    }

    /// <summary>Text pairs for an embedding model: the cosine similarity of their embeddings, one line per pair.</summary>
    static void ScoreSimilarity(TextEmbeddingTransformer model, List<PredictInput> batch)
    {
        var first = model.Embed(batch.Select(b => b.Text).ToList());
        var second = model.Embed(batch.Select(b => b.TextPair).ToList());
        for (int i = 0; i < batch.Count; i++)
            Console.Out.WriteLine(CliOutput.JsonLine(new Dictionary<string, object?> { ["similarity"] = (float)EmbeddingPairReport.Cosine(first[i], second[i]) }));
        Console.Out.Flush();
        batch.Clear();
    }

    static PredictInput Input(JsonlExample example, string file, bool pairs, Settings settings) => example.Format switch
    {
        JsonlFormat.TextLabel when pairs => throw new UserError(new DataIssue(file, example.Line, settings.TextPairColumn ?? "text_pair", DataIssueKind.MissingKey,
            $"missing key '{settings.TextPairColumn ?? "text_pair"}': the model scores text pairs").ToString()),
        JsonlFormat.TextLabel or JsonlFormat.TextPairLabel => new PredictInput { Text = example.Text!, TextPair = example.TextPair ?? "" },
        JsonlFormat.TokensTags => new PredictInput { Text = string.Join(' ', example.Tokens!) },
        _ => throw new UserError(new DataIssue(file, example.Line, "", DataIssueKind.MissingKey,
            $"expected a '{settings.TextColumn}' key; predict scores text, not {JsonlFormats.Name(example.Format)} examples").ToString()),
    };

    static void Score(LoadedModel model, List<PredictInput> batch)
    {
        if (batch.Count == 0) return;
        if (model.EmbeddingOnly is { } embedding && batch[0].TextPair.Length > 0)
        {
            ScoreSimilarity(embedding, batch);
            return;
        }
        var scored = model.Model.Transform(PredictInput.View(model.Context, batch, model.TextColumns, model.EmptyLabelColumn));
        using var cursor = scored.GetRowCursor(scored.Schema);
        var outputs = OutputColumns.For(cursor, model.InputSchema);
        var stdout = Console.Out;
        while (cursor.MoveNext()) stdout.WriteLine(CliOutput.JsonLine(outputs.Read()));
        stdout.Flush();
        batch.Clear();
    }
}
