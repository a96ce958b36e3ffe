namespace MLNet.FineTune.Training;

/// <summary>The JSON part of a checkpoint (trainer_state.json): where the run stands and what it has seen.</summary>
internal sealed record TrainerState
{
    public int FormatVersion { get; init; } = 1;
    public int GlobalStep { get; init; }
    public int TotalSteps { get; init; }
    /// <summary>Zero-based epoch of the next batch.</summary>
    public int Epoch { get; init; }
    /// <summary>Index, in the epoch's plan (data_order.bin), of the next batch.</summary>
    public int BatchInEpoch { get; init; }
    public int Seed { get; init; }
    public int BatchSize { get; init; }
    public int GradientAccumulationSteps { get; init; }
    public int ExampleCount { get; init; }
    /// <summary>Absent in older checkpoints, which were all written with Mixed.</summary>
    public TaskSampling TaskSampling { get; init; } = TaskSampling.Mixed;
    public int SchedulerStep { get; init; }
    public double? BestMetric { get; init; }
    public int? BestStep { get; init; }
    public int EvaluationsWithoutImprovement { get; init; }
    public List<StepRecord> Steps { get; init; } = [];
    public List<EvaluationRecord> Evaluations { get; init; } = [];
}
