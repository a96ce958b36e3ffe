namespace MLNet.FineTune.Training;

/// <summary>
/// Sets each group's learning rate to <c>scale * baseLr * Factor(step)</c>, like a PyTorch <c>LambdaLR</c> built by
/// the Hugging Face schedule helpers: the first optimizer step runs with <c>Factor(0)</c> (0 when there is warmup),
/// and <see cref="Step"/> is called after each optimizer step.
/// </summary>
internal sealed class LearningRateScheduler
{
    readonly AdamW optimizer;

    /// <summary>Creates the scheduler and applies the factor of step 0 to the optimizer's groups.</summary>
    public LearningRateScheduler(AdamW optimizer, double baseLearningRate, LearningRateScheduleKind kind, int warmupSteps, int totalSteps)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "Warmup steps must be >= 0.");
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "Total steps must be >= 1.");
        this.optimizer = optimizer;
        BaseLearningRate = baseLearningRate;
        Kind = kind;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        Apply();
    }

    /// <summary>Learning rate before the schedule factor.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Schedule shape.</summary>
    public LearningRateScheduleKind Kind { get; }

    /// <summary>Number of warmup steps.</summary>
    public int WarmupSteps { get; }

    /// <summary>Total number of optimizer steps of the run.</summary>
    public int TotalSteps { get; }

    /// <summary>Optimizer steps taken so far (the checkpointed state).</summary>
    public int CurrentStep { get; private set; }

    /// <summary>Learning rate the next optimizer step will use (scale 1).</summary>
    public double CurrentLearningRate => BaseLearningRate * Factor(Kind, CurrentStep, WarmupSteps, TotalSteps);

    /// <summary>Advances by one optimizer step and updates the groups.</summary>
    public void Step()
    {
        CurrentStep++;
        Apply();
    }

    /// <summary>Jumps to a step (resuming from a checkpoint) and updates the groups.</summary>
    public void Restore(int step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "Scheduler step must be >= 0.");
        CurrentStep = step;
        Apply();
    }

    /// <summary>HF's <c>math.ceil(total * ratio)</c> conversion of a warmup ratio into steps.</summary>
    public static int WarmupStepsFromRatio(double ratio, int totalSteps)
    {
        if (!(ratio >= 0 && ratio <= 1)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "Warmup ratio must be in [0, 1].");
        return (int)Math.Ceiling(totalSteps * ratio);
    }

    /// <summary>The multiplier of the base learning rate at <paramref name="step"/>, exactly as the HF lambdas compute it.</summary>
    public static double Factor(LearningRateScheduleKind kind, int step, int warmupSteps, int totalSteps)
    {
        if (step < warmupSteps) return (double)step / Math.Max(1, warmupSteps);
        switch (kind)
        {
            case LearningRateScheduleKind.Constant:
                return 1.0;
            case LearningRateScheduleKind.Linear:
                return Math.Max(0.0, (double)(totalSteps - step) / Math.Max(1, totalSteps - warmupSteps));
            case LearningRateScheduleKind.Cosine:
                double progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
                return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * 0.5 * 2.0 * progress)));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown learning-rate schedule.");
        }
    }

    void Apply()
    {
        double lr = CurrentLearningRate;
        foreach (var g in this.optimizer.Groups) g.LearningRate = lr * g.LearningRateScale;
    }
}
