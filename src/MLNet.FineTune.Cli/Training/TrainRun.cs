using System.Diagnostics;
using Microsoft.ML;
using MLNet.FineTune.Cli.Reports;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Cli.Training;

/// <summary>What a <c>train</c> run ended with.</summary>
internal sealed record TrainOutcome(bool Interrupted, string Output, TrainingHistory History, IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<string> Files, string? Checkpoint, double Seconds, int TrainingRows, int ValidationRows);

/// <summary>
/// One training run from a resolved <see cref="TrainConfig"/>: reads the data, fits through the library's public surface
/// (<c>mlContext.Transforms.FineTune</c>), and writes the output folder — model.zip (atomic), metrics.csv, loss.png, README.md
/// (the model card), adapter/ (LoRA), config.json. Checkpoints go to <c>&lt;output&gt;/checkpoints</c> (on Ctrl+C, and every
/// <c>checkpoint_every</c> steps); a completed run deletes them.
/// </summary>
internal static class TrainRun
{
    public const string ModelFile = "model.zip", AdapterFolder = "adapter", CheckpointFolder = "checkpoints";

    public static TrainOutcome Execute(TrainConfig config, LabelledData train, LabelledData? validation, bool resume, bool json, Interruption interruption)
    {
        var task = CliTasks.Parse(config.Task);
        if (CliTasks.IsEmbeddingTask(task)) return EmbeddingTrainRun.Execute(config, task, train, validation, resume, json, interruption);
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(seed: config.Seed);
        var heads = config.Heads is { } spec ? HeadSpec.Parse(spec) : null;
        var trainView = train.ToDataView(ml, task, heads);
        var options = BuildOptions(config, task, train, validation is null ? null : validation.ToDataView(ml, task, heads), resume, heads);
        options = options with { CancellationToken = interruption.Token };
        var model = TrainingProgress.Run(json, interruption, progress =>
            ml.Transforms.FineTune(options with { Progress = progress }).Fit(trainView));
        string checkpoints = Path.Combine(config.Output, CheckpointFolder);
        if (model.History.StopReason == StopReason.Cancelled)
            return new TrainOutcome(true, config.Output, model.History, model.Card.FinalMetrics, [], Checkpoints.FindLatest(checkpoints),
                clock.Elapsed.TotalSeconds, train.Count, validation?.Count ?? 0);

        var files = new List<string> { TrainConfig.FileName };
        ml.Model.SaveAtomic(model, trainView.Schema, Path.Combine(config.Output, ModelFile));
        files.Add(ModelFile);
        MetricsCsv.Write(Path.Combine(config.Output, MetricsCsv.FileName), model.History);
        files.Add(MetricsCsv.FileName);
        Plots.Loss(Path.Combine(config.Output, Plots.LossFile), model.History);
        files.Add(Plots.LossFile);
        File.WriteAllText(Path.Combine(config.Output, ModelCardMarkdown.FileName),
            ModelCardMarkdown.Render(model.Card, $"mlnet-finetune train --config {Path.Combine(config.Output, TrainConfig.FileName)}"));
        files.Add(ModelCardMarkdown.FileName);
        if (options.Peft.Method == PeftMethod.Lora)
        {
            // One adapter per task: adapter/<task>/, each a PEFT folder of its own.
            if (options.Peft.AdapterPerTask)
                foreach (var head in model.Heads) model.SaveLoraAdapter(Path.Combine(config.Output, AdapterFolder, head.Name), head.Name);
            else model.SaveLoraAdapter(Path.Combine(config.Output, AdapterFolder));
            files.Add(AdapterFolder);
        }
        if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        return new TrainOutcome(false, config.Output, model.History, model.Card.FinalMetrics, files, null, clock.Elapsed.TotalSeconds, train.Count, validation?.Count ?? 0);
    }

    static FineTuneOptions BuildOptions(TrainConfig config, CliTask task, LabelledData train, IDataView? validation, bool resume, IReadOnlyList<HeadSpec>? heads)
    {
        var method = PeftChoice.Parse(config.Peft);
        var training = ModelReference.Defaults(config.Model) with
        {
            Epochs = config.Epochs, BatchSize = config.BatchSize, LearningRate = config.LearningRate, Seed = config.Seed,
            WarmupRatio = config.WarmupRatio, WeightDecay = config.WeightDecay,
            CheckpointFolder = Path.Combine(config.Output, CheckpointFolder), CheckpointEverySteps = config.CheckpointEvery,
            ResumeFromLatestCheckpoint = resume, KeepLastCheckpoints = 1, LoggingSteps = int.MaxValue,
            TaskSampling = config.TaskSampling is { } sampling ? TaskSamplingChoice.Parse(sampling) : TaskSampling.Mixed,
        };
        var options = new FineTuneOptions
        {
            TextColumnName = LabelledData.TextColumn,
            SecondTextColumnName = train.Pairs is null ? null : LabelledData.PairColumn,
            LabelColumnName = LabelledData.LabelColumn,
            Task = task == CliTask.Regression ? FineTuneTask.Regression : FineTuneTask.Classification,
            Heads = task == CliTask.Ner ? [new TokenClassificationHead("ner", LabelledData.LabelColumn)] : heads?.Select(h => h.ToHead()).ToList(),
            Peft = new PeftOptions { Method = method, Lora = new LoraOptions { Rank = config.LoraRank, Alpha = config.LoraRank }, AdapterPerTask = config.AdapterPerTask == true,
                FreezeWordEmbeddings = config.FreezeWordEmbeddings == true },
            Training = training,
            ValidationSet = validation,
            ValidationFraction = validation is null ? config.ValidationFraction : 0,
        };
        if (config.MaxLength is { } max) options = options with { MaxSequenceLength = max };
        return ModelReference.Apply(options, config.Model);
    }
}
