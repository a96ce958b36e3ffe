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
        [Description("Inputs: a JSONL file ({\"text\": ...} per line, plus \"text_pair\" for pair models; completions models: {\"prompt\": ...} or {\"messages\": [[...]]}), a CSV/TSV file with a header, or nothing for JSONL on stdin.")]
        [DefaultValue("-")]
        public string Input { get; init; } = "-";

        [CommandOption("--batch-size <rows>")]
        [Description("Inputs scored together (and written before reading on).")]
        [DefaultValue(64)]
        public int BatchSize { get; init; } = 64;

        [CommandOption("--max-new-tokens <N>")]
        [Description("completions models: most tokens generated per input. Default: the model's (64 unless train --max-new-tokens).")]
        public int? MaxNewTokens { get; init; }

        [CommandOption("--temperature <T>")]
        [Description("completions models: sample with this temperature (> 0); 0 is greedy. Default: greedy, unless --top-p or --top-k asks for sampling.")]
        public double? Temperature { get; init; }

        [CommandOption("--top-p <P>")]
        [Description("completions models: sample from the smallest set of tokens whose probability reaches P (0 < P <= 1).")]
        public double? TopP { get; init; }

        [CommandOption("--top-k <K>")]
        [Description("completions models: sample from the K most likely tokens (0: off).")]
        public int? TopK { get; init; }

        [CommandOption("--seed <SEED>")]
        [Description("completions models: seed of the sampling (the same seed gives the same text). Default 0.")]
        public long? Seed { get; init; }
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
        if (model.Generation is { } generation) return Complete(generation, settings, stdin, layout, cancellationToken);
        if (settings.MaxNewTokens is not null || settings.Temperature is not null || settings.TopP is not null || settings.TopK is not null || settings.Seed is not null)
            throw new UserError("--max-new-tokens, --temperature, --top-p, --top-k and --seed are for text-generation models (train --task completions).");
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

    /// <summary>
    /// A text-generation model: each line's prompt (<c>prompt</c>, or the text column), or conversation (<c>messages</c>; a
    /// last assistant message is dropped as the reference) → <c>{"Completion": "..."}</c>, a batch per generation call.
    /// </summary>
    static int Complete(TextGenerationTransformer model, Settings settings, bool stdin, DataFileFormat layout, CancellationToken cancellationToken)
    {
        var generation = CompletionGenerator.Settings(model.Generation, settings.MaxNewTokens, settings.Temperature, settings.TopP, settings.TopK, settings.Seed, settings.BatchSize);
        using var stream = stdin ? Console.OpenStandardInput() : UserFile.OpenRead(settings.Input, "input file");
        var name = stdin ? "stdin" : Path.GetFileName(settings.Input);
        var batch = new List<CompletionQuery>(settings.BatchSize);
        void Flush()
        {
            foreach (var text in CompletionGenerator.Generate(model, batch, generation))
                Console.Out.WriteLine(CliOutput.JsonLine(new Dictionary<string, object?> { [model.OutputColumnName] = text }));
            Console.Out.Flush();
            batch.Clear();
        }
        foreach (var entry in DataFile.Entries(stream, name, layout, settings.Columns(requireLabels: false)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.Issue is { } issue) throw new UserError(issue.ToString());
            var e = entry.Example!;
            string source = $"{name}:{e.Line}";
            batch.Add(e.Format switch
            {
                JsonlFormat.PromptCompletion => new CompletionQuery(e.Generative!.Prompt!, null, source),
                JsonlFormat.Chat => new CompletionQuery("", e.Generative!.Turns![^1].Role == ChatRole.Assistant ? e.Generative.Turns.SkipLast(1).ToList() : e.Generative.Turns, source),
                JsonlFormat.TextLabel => new CompletionQuery(e.Text!, null, source),
                _ => throw new UserError(new DataIssue(name, e.Line, "", DataIssueKind.MissingKey,
                    $"expected a 'prompt' or 'messages' key; a text-generation model completes prompts, not {JsonlFormats.Name(e.Format)} examples").ToString()),
            });
            if (batch.Count == settings.BatchSize) Flush();
        }
        if (batch.Count > 0) Flush();
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
