namespace MLNet.FineTune.Training;

/// <summary>A progress report, sent after every optimizer step and after every evaluation.</summary>
/// <param name="Epoch">One-based epoch being trained.</param>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="TotalSteps">Optimizer steps the run will take (unless stopped early).</param>
/// <param name="Loss">Mean training loss of the last step's micro-batches.</param>
/// <param name="LearningRate">Learning rate used by the last step.</param>
/// <param name="ExamplesPerSecond">Training throughput since this run (or resume) started.</param>
/// <param name="EvalMetrics">Metrics of the evaluation just run, otherwise null.</param>
/// <param name="EstimatedTimeRemaining">Remaining time at the current pace; null before the first step.</param>
public sealed record FineTuneProgress(
    int Epoch,
    int Step,
    int TotalSteps,
    double Loss,
    double LearningRate,
    double ExamplesPerSecond,
    IReadOnlyDictionary<string, double>? EvalMetrics,
    TimeSpan? EstimatedTimeRemaining);
