using MLNet.FineTune.Cli.DataFiles;
using MLNet.FineTune.Cli.Output;
using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using MLNet.FineTune.Cli.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli.Commands;

/// <summary><c>mlnet-finetune train</c>.</summary>
internal sealed class TrainCommand : Command<TrainCommand.Settings>
{
    /// <summary>The command's arguments and options. Every value may also come from <c>--config</c> (flags win).</summary>
    internal sealed class Settings : CommonSettings
    {
        [CommandOption("--data <FILE>")]
        [Description("Training data: JSONL (text/label, text/text_pair/label, tokens/tags; multi-task: a key per head; completions: prompt/completion or chat messages), CSV/TSV with a header, or CoNLL (.conll).")]
        public string? Data { get; init; }

        [CommandOption("--validation <FILE>")]
        [Description("Validation data in the same format (evaluated each epoch; the best epoch's weights are kept).")]
        public string? Validation { get; init; }

        [CommandOption("--validation-fraction <FRACTION>")]
        [Description("Without --validation: the fraction of training rows held out for validation. Default 0.")]
        public string? ValidationFraction { get; init; }

        [CommandOption("--task <TASK>")]
        [Description("classification (default), pairs, regression, ner, multi-task (several heads: --heads), setfit (few-shot classification on a sentence-embedding model) embeddings (contrastive fine-tuning of a sentence-embedding model on text pairs: --loss) or completions (generative fine-tuning of a decoder on prompt/completion or chat JSONL). docs/cli-tasks.md shows each.")]
        public string? Task { get; init; }

        [CommandOption("--model <MODEL>")]
        [Description("minilm, arctic-xs, builtin (default: a small BERT trained from scratch; setfit and embeddings default to minilm), a Hugging Face folder, or a model.onnx file. completions: builtin (a small GPT-2 from scratch, byte-level tokenizer) or a GPT-2/Llama/Qwen2/Mistral checkpoint folder.")]
        public string? Model { get; init; }

        [CommandOption("--peft <METHOD>")]
        [Description("full (default), lora, adapters, prompt, houlsby, head-only or bitfit. completions: lora (default for a checkpoint, rank 16, alpha 2 x rank, every attention and MLP projection) or full (default for builtin).")]
        public string? Peft { get; init; }

        [CommandOption("--epochs <N>")]
        [Description("Passes over the data, or auto (default): 10 if rows < 100, 5 if < 1,000, 3 if < 10,000, else 2 (setfit, embeddings: 1; completions: 10 builtin, 3 a checkpoint).")]
        public string? Epochs { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Examples per step, or auto (default): 8 if rows < 500, 16 if < 5,000, else 32 (setfit, embeddings: 16; completions: 32 builtin, 8 a checkpoint, at most the rows).")]
        public string? BatchSize { get; init; }

        [CommandOption("--learning-rate <RATE>")]
        [Description("Peak learning rate, or auto (default): 1e-4 pretrained full/bitfit, 1e-3 builtin or head-only, 5e-4 lora/adapters, 1e-2 prompt; setfit, embeddings: 2e-5 (5e-4 lora); completions: 1e-3 builtin, 2e-4 lora, 2e-5 full.")]
        public string? LearningRate { get; init; }

        [CommandOption("--warmup-ratio <FRACTION>")]
        [Description("Fraction of steps with linear warmup. Default 0 (0.1 for the builtin model).")]
        public string? WarmupRatio { get; init; }

        [CommandOption("--weight-decay <DECAY>")]
        [Description("AdamW weight decay. Default 0.01.")]
        public string? WeightDecay { get; init; }

        [CommandOption("--max-length <TOKENS>")]
        [Description("Tokens per example after truncation. Default 128 (or the model's limit).")]
        public string? MaxLength { get; init; }

        [CommandOption("--seed <SEED>")]
        [Description("Seed of weights, dropout and shuffling: the same seed gives the same model. Default 42.")]
        public string? Seed { get; init; }

        [CommandOption("--lora-rank <R>")]
        [Description("LoRA rank (alpha = rank; completions: alpha = 2 x rank). Default 8 (completions 16).")]
        public string? LoraRank { get; init; }

        [CommandOption("--text-column <NAME>")]
        [Description("Field or CSV column of the text. Default text.")]
        public string? TextColumn { get; init; }

        [CommandOption("--pair-column <NAME>")]
        [Description("Field or CSV column of the second text (pairs). Default text_pair.")]
        public string? PairColumn { get; init; }

        [CommandOption("--label-column <NAME>")]
        [Description("Field or CSV column of the label. Default label.")]
        public string? LabelColumn { get; init; }

        [CommandOption("--augment <EDITS>")]
        [Description("Add edited copies of the training rows: delete, swap, neighbours (nearest tokens in the pretrained embedding space), comma-separated, or all. Default none.")]
        public string? Augment { get; init; }

        [CommandOption("--augment-copies <N>")]
        [Description("Edited copies per training row with --augment. Default 1.")]
        public string? AugmentCopies { get; init; }

        [CommandOption("--heads <HEADS>")]
        [Description("multi-task: the heads as name:kind, comma-separated (kind classification or regression); each head's labels are under its name (JSONL key or CSV column), and a row may lack some, e.g. sentiment:classification,stars:regression.")]
        public string? Heads { get; init; }

        [CommandOption("--task-sampling <MODE>")]
        [Description("multi-task: mixed (default: batches mix tasks), proportional (one task per batch, drawn by size) or round-robin (tasks take turns).")]
        public string? TaskSampling { get; init; }

        [CommandOption("--adapter-per-task")]
        [Description("multi-task with --peft lora, adapters or houlsby: one adapter per head over a shared frozen base (export --format peft --head NAME writes one).")]
        public bool AdapterPerTask { get; init; }

        [CommandOption("--freeze-word-embeddings")]
        [Description("--peft full on classification, regression, pairs, ner and multi-task: keep the word-embedding table frozen (MiniLM: ~17% faster, ~13% less memory, ~0.25 points lower; docs/benchmarks.md).")]
        public bool FreezeWordEmbeddings { get; init; }

        [CommandOption("--loss <LOSS>")]
        [Description("setfit, embeddings: the contrastive loss. mnrl (default for embeddings: (anchor, positive) pairs, other rows' positives are the negatives), cosent or cosine ((a, b, score) pairs; cosine is setfit's default), contrastive ((a, b, 0/1 label) pairs). completions: completion (default: the completion or assistant turns only) or all (every token).")]
        public string? Loss { get; init; }

        [CommandOption("--setfit-iterations <N>")]
        [Description("setfit: pairs drawn per example and iteration (SetFit's num_iterations). Default 20.")]
        public string? SetFitIterations { get; init; }

        [CommandOption("--setfit-head <HEAD>")]
        [Description("setfit: logistic (default: logistic regression on the embeddings) or differentiable (SetFit's linear head trained with AdamW).")]
        public string? SetFitHead { get; init; }

        [CommandOption("--chat-template <TEMPLATE>")]
        [Description("completions, chat data: chatml, qwen2, llama3, or a Jinja template file. Default: the checkpoint's own chat_template, else chatml.")]
        public string? ChatTemplate { get; init; }

        [CommandOption("--packing")]
        [Description("completions: pack several short examples into each training row of --max-length tokens (each still attends only to itself).")]
        public bool Packing { get; init; }

        [CommandOption("--max-new-tokens <N>")]
        [Description("completions: most tokens the saved model generates per prompt (predict and evaluate take their own). Default 64.")]
        public string? MaxNewTokens { get; init; }

        [CommandOption("--checkpoint-every <STEPS>")]
        [Description("Write a checkpoint every N steps (0, default: only when interrupted with Ctrl+C).")]
        public string? CheckpointEvery { get; init; }

        [CommandOption("-o|--output <DIR>")]
        [Description("Output folder: model.zip, metrics.csv, loss.png, README.md (model card), adapter/ (LoRA), config.json.")]
        public string? Output { get; init; }

        [CommandOption("--config <FILE>")]
        [Description("A JSON file of settings (keys as in an output's config.json); flags override it.")]
        public string? Config { get; init; }

        [CommandOption("--resume <DIR>")]
        [Description("Continue an interrupted run from its output folder (its config.json and latest checkpoint).")]
        public string? Resume { get; init; }
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) => CliOutput.Guard(settings.Json, () => Run(settings));

    static int Run(Settings s)
    {
        bool resume = s.Resume is not null;
        TrainConfigValues values;
        if (resume)
        {
            if (s.Data is not null || s.Config is not null || s.Output is not null || s.Epochs is not null || s.BatchSize is not null || s.LearningRate is not null || s.Seed is not null)
                throw new UserError("--resume continues a run exactly as it was configured; give only --resume <dir> (and --json).");
            string configPath = Path.Combine(s.Resume!, TrainConfig.FileName);
            if (!File.Exists(configPath)) throw new UserError($"--resume '{s.Resume}': no {TrainConfig.FileName} there; it is not the output folder of a train run.");
            values = TrainConfigValues.FromFile(configPath);
        }
        else values = s.Config is null ? new TrainConfigValues() : TrainConfigValues.FromFile(s.Config);
        values.Set("data", s.Data).Set("validation", s.Validation).Set("validation_fraction", s.ValidationFraction).Set("task", s.Task)
            .Set("model", s.Model).Set("peft", s.Peft).Set("epochs", s.Epochs).Set("batch_size", s.BatchSize).Set("learning_rate", s.LearningRate)
            .Set("warmup_ratio", s.WarmupRatio).Set("weight_decay", s.WeightDecay).Set("max_length", s.MaxLength).Set("seed", s.Seed)
            .Set("lora_rank", s.LoraRank).Set("text_column", s.TextColumn).Set("pair_column", s.PairColumn).Set("label_column", s.LabelColumn)
            .Set("checkpoint_every", s.CheckpointEvery).Set("augment", s.Augment).Set("augment_copies", s.AugmentCopies).Set("output", s.Output)
            .Set("heads", s.Heads).Set("task_sampling", s.TaskSampling).Set("adapter_per_task", s.AdapterPerTask ? "true" : null).Set("freeze_word_embeddings", s.FreezeWordEmbeddings ? "true" : null).Set("loss", s.Loss)
            .Set("setfit_iterations", s.SetFitIterations).Set("setfit_head", s.SetFitHead)
            .Set("chat_template", s.ChatTemplate is { } template && File.Exists(template) ? File.ReadAllText(template) : s.ChatTemplate)
            .Set("packing", s.Packing ? "true" : null).Set("max_new_tokens", s.MaxNewTokens);

        // Checked before the data is read: a typo fails in a second, not after loading.
        if (!resume && values.Get("output") is { } output && Directory.Exists(Path.Combine(output, TrainRun.CheckpointFolder)))
            throw new UserError($"--output '{output}' holds an interrupted run; continue it with: mlnet-finetune train --resume {Quote(Path.GetFullPath(output))} (or choose another folder).");
        var task = CliTasks.Parse(values.Get("task") ?? "classification");
        PeftChoice.Parse(values.Get("peft") ?? "full");
        ModelReference.Apply(new FineTuneOptions(), values.Model(task));
        var columns = new DataColumns(values.Get("text_column") ?? "text", values.Get("pair_column") ?? "text_pair", values.Get("label_column") ?? "label");
        LabelledData Read(string path, bool validation) => task switch
        {
            CliTask.MultiTask => LabelledData.ReadMultiTask(path, HeadSpec.Parse(values.Require("heads", "--heads")), columns),
            // MNRL trains on (anchor, positive) alone; a validation file's labels (if any) choose evaluate's measure.
            CliTask.Embeddings => LabelledData.Read(path, task, columns with
            {
                RequireLabels = !validation && ContrastiveLossChoice.Target(ContrastiveLossChoice.Parse(values.Get("loss") ?? "mnrl")) != PairTarget.None,
            }),
            _ => LabelledData.Read(path, task, columns),
        };
        if (task == CliTask.Completions) return RunCompletions(s, values, resume);
        var train = Read(values.Require("data", "--data"), validation: false);
        var validation = values.Get("validation") is { } v ? Read(v, validation: true) : null;
        // auto values follow the rows in the file; augmented copies come on top.
        var config = values.Resolve(train.Count);
        int originalRows = train.Count;
        if (config.Augment is { } edits) train = TextAugmenter.Augment(train, task, edits, config.AugmentCopies, config.Seed, ModelReference.BaseFolder(config.Model));
        return Execute(config, resume, s.Json, interruption =>
        {
            if (config.Augment is not null) TextAugmenter.WriteCopies(Path.Combine(config.Output, TextAugmenter.CopiesFile), train, originalRows);
            return TrainRun.Execute(config, train, validation, resume, s.Json, interruption);
        });
    }

    /// <summary><c>--task completions</c>: prompt/completion or chat JSONL, a decoder (see <see cref="CompletionTrainRun"/>).</summary>
    static int RunCompletions(Settings s, TrainConfigValues values, bool resume)
    {
        if (values.Get("augment") is { } augment && augment != "none") throw new UserError("--augment edits words of classification texts; it is not available for --task completions.");
        var train = CompletionData.Read(values.Require("data", "--data"));
        var validation = values.Get("validation") is { } v ? CompletionData.Read(v) : null;
        if (validation is not null && validation.IsChat != train.IsChat)
            throw new UserError($"--validation '{validation.Path}' holds {(validation.IsChat ? "chat" : "prompt/completion")} examples and --data {(train.IsChat ? "chat" : "prompt/completion")} ones; give both in the same format.");
        var config = values.Resolve(train.Count);
        if (!ModelReference.IsBuiltIn(config.Model)) CompletionTrainRun.ModelType(config.Model); // an encoder folder fails here, before training
        return Execute(config, resume, s.Json, interruption => CompletionTrainRun.Execute(config, train, validation, resume, s.Json, interruption));
    }

    /// <summary>Creates the output folder, writes config.json (not when resuming), runs the training and reports it.</summary>
    static int Execute(TrainConfig config, bool resume, bool json, Func<Interruption, TrainOutcome> run)
    {
        if (resume && MLNet.FineTune.Training.Checkpoints.FindLatest(Path.Combine(config.Output, TrainRun.CheckpointFolder)) is null)
            throw new UserError($"--resume '{config.Output}': no checkpoint in {Path.Combine(config.Output, TrainRun.CheckpointFolder)}; the run finished or never wrote one.");
        bool created = !Directory.Exists(config.Output);
        Directory.CreateDirectory(config.Output);
        if (!resume) config.Save(config.Output);

        using var interruption = new Interruption();
        TrainOutcome outcome;
        try { outcome = run(interruption); }
        catch when (created && !Directory.Exists(Path.Combine(config.Output, TrainRun.CheckpointFolder)))
        {
            // A run that failed before writing anything worth keeping leaves no folder behind.
            Directory.Delete(config.Output, recursive: true);
            throw;
        }
        return outcome.Interrupted ? ReportInterrupted(outcome, json) : ReportDone(config, outcome, json);
    }

    static string Quote(string path) => path.Contains(' ') ? $"\"{path}\"" : path;

    static int ReportInterrupted(TrainOutcome o, bool json)
    {
        string command = $"mlnet-finetune train --resume {Quote(o.Output)}";
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["status"] = "interrupted", ["output"] = o.Output, ["steps"] = o.History.GlobalStep, ["checkpoint"] = o.Checkpoint, ["resume_command"] = command,
            }, JsonOutput.Options));
        else
        {
            Console.Error.WriteLine($"Interrupted at step {o.History.GlobalStep}; checkpoint written to {o.Checkpoint}.");
            Console.Error.WriteLine($"Resume with: {command}");
        }
        return ExitCode.Error;
    }

    static int ReportDone(TrainConfig config, TrainOutcome o, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["status"] = "completed", ["output"] = o.Output, ["model"] = Path.Combine(o.Output, TrainRun.ModelFile),
                ["steps"] = o.History.GlobalStep, ["stop_reason"] = o.History.StopReason.ToString(), ["resumed_from_step"] = o.History.ResumedFromStep,
                ["training_rows"] = o.TrainingRows, ["validation_rows"] = o.ValidationRows,
                ["final_train_loss"] = o.History.Steps.Count > 0 ? o.History.Steps[^1].Loss : null,
                ["metrics"] = o.Metrics, ["files"] = o.Files, ["seconds"] = Math.Round(o.Seconds, 2), ["config"] = config,
            }, JsonOutput.Options));
            return ExitCode.Ok;
        }
        var table = new Table().AddColumn("").AddColumn("");
        table.AddRow("model", Markup.Escape(Path.Combine(o.Output, TrainRun.ModelFile)));
        table.AddRow("steps", $"{o.History.GlobalStep} ({o.History.StopReason})");
        table.AddRow("training rows", o.TrainingRows.ToString(CultureInfo.InvariantCulture));
        table.AddRow("hyper-parameters", Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"epochs {config.Epochs}, batch {config.BatchSize}, learning rate {config.LearningRate:G3}, seed {config.Seed}")));
        foreach (var (k, v) in o.Metrics) table.AddRow("validation " + Markup.Escape(k), v.ToString("F4", CultureInfo.InvariantCulture));
        table.AddRow("files", Markup.Escape(string.Join(", ", o.Files)));
        table.AddRow("time", $"{o.Seconds:F1} s");
        AnsiConsole.Write(table);
        return ExitCode.Ok;
    }
}
