namespace MLNet.FineTune.Training;

/// <summary>One optimizer step.</summary>
/// <param name="Step">One-based step number.</param>
/// <param name="Epoch">Fractional epoch at the end of the step (1.5 = half-way through the second epoch).</param>
/// <param name="Loss">Mean loss of the step's micro-batches (unscaled).</param>
/// <param name="LearningRate">Learning rate the step used.</param>
/// <param name="GradNorm">Global L2 gradient norm before clipping (also reported when clipping is off).</param>
public sealed record StepRecord(int Step, double Epoch, double Loss, double LearningRate, double GradNorm);

/// <summary>One evaluation.</summary>
/// <param name="Step">Optimizer steps done when it ran.</param>
/// <param name="Epoch">Fractional epoch when it ran.</param>
/// <param name="Metrics">What the evaluation callback returned.</param>
public sealed record EvaluationRecord(int Step, double Epoch, IReadOnlyDictionary<string, double> Metrics);

/// <summary>Why training ended.</summary>
public enum StopReason
{
    /// <summary>All epochs or <see cref="TrainingOptions.MaxSteps"/> done.</summary>
    Completed,

    /// <summary>The metric did not improve for <see cref="TrainingOptions.EarlyStoppingPatience"/> evaluations.</summary>
    EarlyStopped,

    /// <summary>The cancellation token fired; the run stopped at a step boundary.</summary>
    Cancelled,
}

/// <summary>What a run did: losses and learning rates per step, metrics per evaluation, and the best model.</summary>
public sealed class TrainingHistory
{
    /// <summary>Every optimizer step (including those before a resume).</summary>
    public List<StepRecord> Steps { get; init; } = [];

    /// <summary>Every evaluation (including those before a resume).</summary>
    public List<EvaluationRecord> Evaluations { get; init; } = [];

    /// <summary>Why the run ended.</summary>
    public StopReason StopReason { get; set; }

    /// <summary>Optimizer steps done.</summary>
    public int GlobalStep { get; set; }

    /// <summary>Best value of <see cref="TrainingOptions.MetricForBestModel"/>, null without evaluations.</summary>
    public double? BestMetric { get; set; }

    /// <summary>Step of the best evaluation, null without evaluations.</summary>
    public int? BestStep { get; set; }

    /// <summary>True when the weights were set back to those of <see cref="BestStep"/> at the end.</summary>
    public bool RestoredBestWeights { get; set; }

    /// <summary>Step of the checkpoint the run resumed from, null for a fresh run.</summary>
    public int? ResumedFromStep { get; set; }

    /// <summary>Where this run's step time went (data, forward, backward, clipping, optimizer, zeroing), for profiles and logs.</summary>
    internal StepPhaseTimes? PhaseTimes { get; set; }
}
