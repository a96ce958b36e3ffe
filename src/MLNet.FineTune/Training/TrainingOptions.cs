namespace MLNet.FineTune.Training;

/// <summary>
/// Hyper-parameters of a fine-tuning run. Every default lives here and matches Hugging Face
/// <c>TrainingArguments</c> unless noted. Immutable: derive variants with <c>with</c>.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Peak learning rate. Default 5e-5.</summary>
    public double LearningRate { get; init; } = 5e-5;

    /// <summary>Number of passes over the data (ignored when <see cref="MaxSteps"/> &gt; 0). Default 3.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Total optimizer steps; overrides <see cref="Epochs"/> when &gt; 0. Default -1 (use epochs).</summary>
    public int MaxSteps { get; init; } = -1;

    /// <summary>Examples per micro-batch. Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Micro-batches whose gradients are summed before one optimizer step. Default 1.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Clip the global L2 norm of the gradients to this value; 0 disables clipping. Default 1.0.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Fraction of total steps used for linear warmup (HF rounds up). Default 0.</summary>
    public double WarmupRatio { get; init; }

    /// <summary>Warmup steps; when &gt; 0 it wins over <see cref="WarmupRatio"/>. Default 0.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Decoupled weight decay (not applied to biases and LayerNorm weights). Default 0.01 (HF: 0).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>AdamW beta1. Default 0.9.</summary>
    public double AdamBeta1 { get; init; } = 0.9;

    /// <summary>AdamW beta2. Default 0.999.</summary>
    public double AdamBeta2 { get; init; } = 0.999;

    /// <summary>AdamW epsilon. Default 1e-8.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Learning-rate schedule after warmup. Default linear decay to 0.</summary>
    public LearningRateScheduleKind Schedule { get; init; } = LearningRateScheduleKind.Linear;

    /// <summary>
    /// Seeds the run's own torch random stream (initial weights, dropout masks) and the data shuffling: runs with the same
    /// seed give the same model bit for bit on CPU, also when several run at once in one process. Default 42.
    /// </summary>
    public int Seed { get; init; } = 42;

    /// <summary>Shuffle the examples each epoch (deterministic from seed and epoch). Default true.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Batch examples of similar length together to cut padding (deterministic). Default false.</summary>
    public bool GroupByLength { get; init; }

    /// <summary>
    /// Multi-task only: whether batches mix tasks (<see cref="TaskSampling.Mixed"/>, the default) or hold one task each,
    /// drawn in proportion to the tasks' sizes or taking turns. A task is the set of heads a row is labelled for.
    /// </summary>
    public TaskSampling TaskSampling { get; init; } = TaskSampling.Mixed;

    /// <summary>Label smoothing in [0, 1) for every classification and token-classification head that sets none itself (Hugging Face's label_smoothing_factor). Default 0.</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>When the evaluation callback runs (only if one is given). Default each epoch.</summary>
    public EvaluationStrategy EvaluationStrategy { get; init; } = EvaluationStrategy.Epoch;

    /// <summary>Steps between evaluations with <see cref="EvaluationStrategy.Steps"/>. Default 500.</summary>
    public int EvalSteps { get; init; } = 500;

    /// <summary>Metric (key of the evaluation dictionary) that selects the best model. Default "loss".</summary>
    public string MetricForBestModel { get; init; } = "loss";

    /// <summary>Whether a larger metric is better; null means "false when the metric name contains 'loss'". Default null.</summary>
    public bool? GreaterIsBetter { get; init; }

    /// <summary>Stop after this many evaluations without improvement; 0 disables early stopping. Default 0.</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>Minimum change of the metric that counts as an improvement. Default 0.</summary>
    public double EarlyStoppingThreshold { get; init; }

    /// <summary>Restore the weights of the best evaluation when training ends. Default true (HF: false).</summary>
    public bool LoadBestModelAtEnd { get; init; } = true;

    /// <summary>Folder for checkpoints (checkpoint-&lt;step&gt; sub-folders); null writes none. Default null.</summary>
    public string? CheckpointFolder { get; init; }

    /// <summary>Optimizer steps between checkpoints; 0 writes only on cancellation. Default 500.</summary>
    public int CheckpointEverySteps { get; init; } = 500;

    /// <summary>Checkpoints kept in <see cref="CheckpointFolder"/>; older ones are deleted. Default 2.</summary>
    public int KeepLastCheckpoints { get; init; } = 2;

    /// <summary>Resume from the latest checkpoint in <see cref="CheckpointFolder"/> when one exists. Default false.</summary>
    public bool ResumeFromLatestCheckpoint { get; init; }

    /// <summary>Steps between log-sink lines. Default 50.</summary>
    public int LoggingSteps { get; init; } = 50;

    /// <summary>
    /// Steps between glibc <c>malloc_trim(0)</c> calls returning freed native memory to the OS; 0 never. Default 50: a safety
    /// net for small native blocks left to the finalizer (custom heads, user code), which slowly fragment glibc's heap. Not
    /// every step: the memory handed back must be page-faulted in again by the next step, which cost ~20% of a BERT-mini
    /// step when trimming after each one (docs/benchmarks.md).
    /// </summary>
    public int TrimNativeMemoryEverySteps { get; init; } = 50;

    /// <summary>True when a larger <see cref="MetricForBestModel"/> is better.</summary>
    public bool MetricGreaterIsBetter => GreaterIsBetter ?? !MetricForBestModel.Contains("loss", StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws an <see cref="ArgumentException"/> naming every option out of range (one per line when several).</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count == 1) throw new ArgumentException(problems[0].Message, problems[0].Option);
        if (problems.Count > 1) throw new ArgumentException($"TrainingOptions has {problems.Count} problems:\n- " + string.Join("\n- ", problems.Select(p => p.Message)));
    }

    /// <summary>
    /// Every broken rule, each naming the option, the value and what was expected. Real numbers must be finite (NaN and
    /// infinities are never a meaningful learning rate, decay, ratio or threshold) and enums must be defined values.
    /// </summary>
    internal IReadOnlyList<(string Option, string Message)> Problems()
    {
        var problems = new List<(string, string)>();
        void Require(bool ok, string name, object? actual, string expected)
        {
            if (!ok) problems.Add((name, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"TrainingOptions.{name} must be {expected}; got {actual ?? "null"}.")));
        }
        static bool Finite(double x, double min) => double.IsFinite(x) && x >= min;

        Require(Finite(LearningRate, 0), nameof(LearningRate), LearningRate, "a finite number >= 0");
        Require(MaxSteps > 0 || Epochs >= 1, nameof(Epochs), Epochs, ">= 1 (or MaxSteps > 0)");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, ">= 1");
        Require(GradientAccumulationSteps >= 1, nameof(GradientAccumulationSteps), GradientAccumulationSteps, ">= 1");
        Require(Finite(MaxGradNorm, 0), nameof(MaxGradNorm), MaxGradNorm, "a finite number >= 0 (0 disables clipping)");
        Require(WarmupRatio >= 0 && WarmupRatio <= 1, nameof(WarmupRatio), WarmupRatio, "in [0, 1]");
        Require(WarmupSteps >= 0, nameof(WarmupSteps), WarmupSteps, ">= 0");
        Require(Finite(WeightDecay, 0), nameof(WeightDecay), WeightDecay, "a finite number >= 0");
        Require(AdamBeta1 >= 0 && AdamBeta1 < 1, nameof(AdamBeta1), AdamBeta1, "in [0, 1)");
        Require(AdamBeta2 >= 0 && AdamBeta2 < 1, nameof(AdamBeta2), AdamBeta2, "in [0, 1)");
        Require(Finite(AdamEpsilon, 0), nameof(AdamEpsilon), AdamEpsilon, "a finite number >= 0");
        Require(Enum.IsDefined(Schedule), nameof(Schedule), Schedule, "Linear, Cosine or Constant");
        Require(Enum.IsDefined(TaskSampling), nameof(TaskSampling), TaskSampling, "Mixed, Proportional or RoundRobin");
        Require(LabelSmoothing >= 0 && LabelSmoothing < 1, nameof(LabelSmoothing), LabelSmoothing, "in [0, 1)");
        Require(Enum.IsDefined(EvaluationStrategy), nameof(EvaluationStrategy), EvaluationStrategy, "No, Steps or Epoch");
        Require(EvaluationStrategy != EvaluationStrategy.Steps || EvalSteps >= 1, nameof(EvalSteps), EvalSteps, ">= 1 with EvaluationStrategy.Steps");
        Require(!string.IsNullOrWhiteSpace(MetricForBestModel), nameof(MetricForBestModel), MetricForBestModel, "a metric name");
        Require(EarlyStoppingPatience >= 0, nameof(EarlyStoppingPatience), EarlyStoppingPatience, ">= 0");
        Require(Finite(EarlyStoppingThreshold, 0), nameof(EarlyStoppingThreshold), EarlyStoppingThreshold, "a finite number >= 0");
        Require(CheckpointFolder is null || !string.IsNullOrWhiteSpace(CheckpointFolder), nameof(CheckpointFolder), $"'{CheckpointFolder}'", "null or a folder path");
        Require(CheckpointFolder is null || !File.Exists(CheckpointFolder), nameof(CheckpointFolder), $"'{CheckpointFolder}', an existing file", "a folder (it is created when missing)");
        Require(CheckpointEverySteps >= 0, nameof(CheckpointEverySteps), CheckpointEverySteps, ">= 0");
        Require(KeepLastCheckpoints >= 1, nameof(KeepLastCheckpoints), KeepLastCheckpoints, ">= 1");
        Require(!ResumeFromLatestCheckpoint || CheckpointFolder is not null, nameof(ResumeFromLatestCheckpoint), ResumeFromLatestCheckpoint, "false when CheckpointFolder is null");
        Require(LoggingSteps >= 1, nameof(LoggingSteps), LoggingSteps, ">= 1");
        Require(TrimNativeMemoryEverySteps >= 0, nameof(TrimNativeMemoryEverySteps), TrimNativeMemoryEverySteps, ">= 0");
        return problems;
    }
}
