using System.Diagnostics;
using Microsoft.ML;
using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Cli.Reports;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// <c>train --task setfit</c> and <c>--task embeddings</c>: the library's SetFit trainer and FineTuneEmbeddings on a pretrained
/// sentence encoder. They return no training history, so metrics.csv and loss.png come from the progress reports; a
/// <c>--validation</c> file is scored after training with <c>evaluate</c>'s measures (recorded on the last step).
/// </summary>
internal static class EmbeddingTrainRun
{
    public static TrainOutcome Execute(TrainConfig config, CliTask task, LabelledData train, LabelledData? validation, bool resume, bool json, Interruption interruption)
    {
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(seed: config.Seed);
        var pretrained = ModelReference.Apply(new FineTuneOptions(), config.Model);
        string checkpoints = Path.Combine(config.Output, TrainRun.CheckpointFolder);
        var training = EmbeddingFineTuneOptions.DefaultTraining with
        {
            Epochs = config.Epochs, BatchSize = config.BatchSize, LearningRate = config.LearningRate, Seed = config.Seed,
            WarmupRatio = config.WarmupRatio, WeightDecay = config.WeightDecay,
            CheckpointFolder = checkpoints, CheckpointEverySteps = config.CheckpointEvery, ResumeFromLatestCheckpoint = resume,
            KeepLastCheckpoints = 1, LoggingSteps = int.MaxValue,
        };
        var peft = new PeftOptions { Method = PeftChoice.Parse(config.Peft), Lora = new LoraOptions { Rank = config.LoraRank, Alpha = config.LoraRank } };
        var loss = ContrastiveLossChoice.Parse(config.Loss!);
        // These trainers return no history; the steps before an interruption come from the checkpoint being resumed.
        var before = resume && Checkpoints.FindLatest(checkpoints) is { } latest ? Checkpoints.ReadState(Path.Combine(latest, Checkpoints.StateFile)) : null;

        ITransformer model;
        IDataView schemaView;
        TrainingHistory history;
        if (task == CliTask.SetFit)
        {
            var view = train.ToDataView(ml, CliTask.Classification);
            schemaView = view;
            var options = new SetFitOptions
            {
                BaseModel = pretrained.BaseModel, BaseModelFolder = pretrained.BaseModelFolder,
                TextColumnName = LabelledData.TextColumn, LabelColumnName = LabelledData.LabelColumn,
                NumIterations = config.SetFitIterations, Loss = loss, Training = training, Peft = peft, MaxSequenceLength = config.MaxLength,
                Head = config.SetFitHead == "differentiable" ? SetFitHead.Differentiable : SetFitHead.LogisticRegression, Seed = config.Seed,
                CancellationToken = interruption.Token,
            };
            model = TrainingProgress.Run(json, interruption, progress => ml.MulticlassClassification.Trainers.SetFit(options with { Progress = progress }).Fit(view), out history);
        }
        else
        {
            var target = ContrastiveLossChoice.Target(loss);
            // MNRL reads only the two texts; the other losses read the label as a number (the score, or 0/1).
            var view = target == PairTarget.None ? train.ToDataView(ml, CliTask.Pairs) : PairTargetRow.View(ml, train, target);
            schemaView = PairTargetRow.TextOnly(ml);
            var options = new EmbeddingFineTuneOptions
            {
                BaseModel = pretrained.BaseModel, BaseModelFolder = pretrained.BaseModelFolder,
                FirstColumnName = LabelledData.TextColumn, SecondColumnName = LabelledData.PairColumn,
                ScoreColumnName = LabelledData.LabelColumn, LabelColumnName = LabelledData.LabelColumn, InputColumnName = LabelledData.TextColumn,
                Loss = loss, Peft = peft, Training = training, MaxSequenceLength = config.MaxLength, CancellationToken = interruption.Token,
            };
            model = TrainingProgress.Run(json, interruption, progress => ml.Transforms.FineTuneEmbeddings(options with { Progress = progress }).Fit(view), out history);
        }
        if (interruption.Requested)
        {
            history.StopReason = StopReason.Cancelled;
            return new TrainOutcome(true, config.Output, history, new Dictionary<string, double>(), [], Checkpoints.FindLatest(checkpoints),
                clock.Elapsed.TotalSeconds, train.Count, validation?.Count ?? 0);
        }
        history.StopReason = StopReason.Completed;
        if (before is not null)
        {
            history.ResumedFromStep = before.GlobalStep;
            // As the progress reports record them (1-based epoch, no gradient norm), so a resumed run's metrics.csv reads as an uninterrupted one's.
            // The checkpoint's records are authoritative up to its step: a progress report about the restored step itself
            // (made when training resumes, without a step's loss) must not displace the checkpoint's record of it.
            history.Steps.RemoveAll(s => s.Step <= before.GlobalStep);
            history.Steps.InsertRange(0, before.Steps.Where(s => s.Step <= before.GlobalStep)
                .Select(s => s with { Epoch = Math.Max(1, Math.Ceiling(s.Epoch - 1e-9)), GradNorm = double.NaN }));
        }

        IReadOnlyDictionary<string, double> metrics = new Dictionary<string, double>();
        if (validation is not null)
        {
            metrics = (task == CliTask.SetFit ? ModelEvaluation.RunSetFit(ml, model, validation) : EmbeddingPairReport.Run((TextEmbeddingTransformer)model, validation)).Metrics;
            if (history.Steps.Count > 0) history.Evaluations.Add(new EvaluationRecord(history.Steps[^1].Step, history.Steps[^1].Epoch, metrics));
        }

        var files = new List<string> { TrainConfig.FileName };
        ml.Model.SaveAtomic(model, schemaView.Schema, Path.Combine(config.Output, TrainRun.ModelFile));
        files.Add(TrainRun.ModelFile);
        MetricsCsv.Write(Path.Combine(config.Output, MetricsCsv.FileName), history);
        files.Add(MetricsCsv.FileName);
        if (history.Steps.Count > 0)
        {
            Plots.Loss(Path.Combine(config.Output, Plots.LossFile), history);
            files.Add(Plots.LossFile);
        }
        File.WriteAllText(Path.Combine(config.Output, ModelCardMarkdown.FileName), ModelCardMarkdown.RenderRun(config, train.Count, history, metrics,
            $"mlnet-finetune train --config {Path.Combine(config.Output, TrainConfig.FileName)}"));
        files.Add(ModelCardMarkdown.FileName);
        if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        return new TrainOutcome(false, config.Output, history, metrics, files, null, clock.Elapsed.TotalSeconds, train.Count, validation?.Count ?? 0);
    }
}

/// <summary>Embedding pairs with a numeric target (a score, or 0/1 for the contrastive loss) in the label column.</summary>
internal sealed class PairTargetRow
{
    public string Text { get; set; } = "";
    public string TextPair { get; set; } = "";
    public float Label { get; set; }

    public static IDataView View(MLContext ml, LabelledData data, PairTarget target)
    {
        var targets = EmbeddingPairReport.Targets(data);
        for (int r = 0; r < targets.Length; r++)
            if (target == PairTarget.Binary && targets[r] is not (0 or 1))
                throw new UserError($"{Path.GetFileName(data.Path)}:{data.Lines[r]}: label: invalid_value: '{data.Labels[r]}'; the contrastive loss takes 0/1 (or true/false) labels (1 = similar); for similarity scores use --loss cosent or cosine.");
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, data.Count).Select(r => new PairTargetRow { Text = data.Texts[r], TextPair = data.Pairs![r], Label = (float)targets[r] }));
    }

    sealed class TextRow { public string Text { get; set; } = ""; }

    /// <summary>The input schema an embedding model is saved with: one text column.</summary>
    public static IDataView TextOnly(MLContext ml) => ml.Data.LoadFromEnumerable(Array.Empty<TextRow>());
}
