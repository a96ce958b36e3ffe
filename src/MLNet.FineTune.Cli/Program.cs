using MLNet.FineTune.Cli;
using MLNet.FineTune.Cli.Commands;
using MLNet.FineTune.Cli.Output;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("mlnet-finetune");
    // Bad arguments (unknown command or option, a value of the wrong type) and anything a command did not handle:
    // one line on stderr and exit code 2, never Spectre's default -1 or a stack trace.
    config.SetExceptionHandler((e, _) => ExitCodes.Unhandled(e));
    config.AddCommand<ValidateCommand>("validate").WithDescription("Check a data file (JSONL, CSV/TSV, CoNLL) before training: errors with file, line and field; warnings for small, imbalanced or duplicated data.")
        .WithExample("validate", "train.jsonl", "--validation", "valid.jsonl", "--model", "minilm", "--strict");
    config.AddCommand<TrainCommand>("train").WithDescription("Fine-tune a model on a data file and write the model zip, metrics.csv, loss.png, the model card and the resolved config. " +
            "Tasks: classification, pairs, regression, ner, multi-task (--heads), setfit (few-shot) and embeddings (contrastive pairs: --loss); docs/cli-tasks.md.")
        .WithExample("train", "--data", "train.jsonl", "--validation", "dev.jsonl", "--model", "minilm", "--output", "run")
        .WithExample("train", "--task", "multi-task", "--heads", "sentiment:classification,stars:regression", "--data", "reviews.jsonl", "--output", "run")
        .WithExample("train", "--task", "setfit", "--data", "few.jsonl", "--output", "run")
        .WithExample("train", "--task", "embeddings", "--loss", "cosent", "--data", "sts.jsonl", "--output", "run");
    config.AddCommand<EvaluateCommand>("evaluate").WithDescription("Score a fitted model on a labelled file: metrics, per-class report, confusion.png and errors.jsonl (embedding models: retrieval, correlation or best-threshold measures on text pairs).");
    config.AddCommand<PredictCommand>("predict").WithDescription("Score a JSONL/CSV file or stdin with a fitted model; one JSON line per input on stdout (embedding models: the embedding, or the similarity of a text pair).")
        .WithExample("predict", "--model", "model.zip", "inputs.jsonl");
    config.AddCommand<ExportCommand>("export").WithDescription("Export a fitted model: PEFT adapter folder (one per task with --adapter-per-task), merged Hugging Face folder, or ONNX.");
    config.AddCommand<EnvCommand>("env").WithDescription("Print TorchSharp/libtorch versions, CPU features, threads and available providers (paste it into bug reports).")
        .WithExample("env", "--json");
});
return app.Run(args);
