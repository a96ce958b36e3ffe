namespace MLNet.FineTune.Training;

/// <summary>The JSON part of a checkpoint (trainer_state.json): where the run stands and what it has seen.</summary>
internal sealed record TrainerState
{
    /// <summary>
    /// 2 added <see cref="ModelShape"/> and <see cref="DataFingerprint"/>. Version 1 checkpoints (without them) are
    /// still resumed: their weights are checked tensor by tensor on load, only the data identity goes unchecked.
    /// </summary>
    public const int CurrentFormatVersion = 2;

    public int FormatVersion { get; init; } = CurrentFormatVersion;
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
    /// <summary>sha256 of the module's tensor names, dtypes and shapes (<see cref="ModelShape"/>); null before format 2.</summary>
    public string? ModelShape { get; init; }
    /// <summary>Human-readable form of <see cref="ModelShape"/> for messages, e.g. "52 tensors, 1,234,567 values".</summary>
    public string? ModelShapeSummary { get; init; }
    /// <summary>Fingerprint of the training examples as fed (<see cref="IBatchSource{TBatch}.Fingerprint"/>); null when unknown.</summary>
    public string? DataFingerprint { get; init; }
    public List<StepRecord> Steps { get; init; } = [];
    public List<EvaluationRecord> Evaluations { get; init; } = [];

    /// <summary>The first value no checkpoint writer produces (field and value), or null.</summary>
    internal string? Problem()
    {
        if (FormatVersion < 1 || FormatVersion > CurrentFormatVersion)
            return $"FormatVersion {FormatVersion} (this library reads 1 to {CurrentFormatVersion})";
        (string Name, int Value)[] nonNegative =
        [
            (nameof(GlobalStep), GlobalStep), (nameof(TotalSteps), TotalSteps), (nameof(Epoch), Epoch), (nameof(BatchInEpoch), BatchInEpoch),
            (nameof(SchedulerStep), SchedulerStep), (nameof(EvaluationsWithoutImprovement), EvaluationsWithoutImprovement),
        ];
        foreach (var (name, value) in nonNegative)
            if (value < 0) return $"{name} {value} (must be >= 0)";
        (string Name, int Value)[] positive = [(nameof(BatchSize), BatchSize), (nameof(GradientAccumulationSteps), GradientAccumulationSteps), (nameof(ExampleCount), ExampleCount)];
        foreach (var (name, value) in positive)
            if (value < 1) return $"{name} {value} (must be >= 1)";
        if (!Enum.IsDefined(TaskSampling)) return $"TaskSampling {(int)TaskSampling} (not a defined mode)";
        if (Steps is null) return "Steps null (expected a list)";
        if (Evaluations is null) return "Evaluations null (expected a list)";
        if (Steps.Any(s => s is null)) return "a null entry in Steps";
        if (Evaluations.Any(e => e is null || e.Metrics is null)) return "a null entry (or null Metrics) in Evaluations";
        if (BestMetric is { } best && double.IsNaN(best)) return "BestMetric NaN";
        return null;
    }
}
