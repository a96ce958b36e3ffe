namespace MLNet.FineTune.Training;

/// <summary>
/// Training examples addressed by index. The loop decides which indices form a batch
/// (<see cref="BatchPlanner"/>: shuffling, length bucketing); the source only builds the batch.
/// </summary>
/// <typeparam name="TBatch">What <see cref="ITrainableModel{TBatch}.ComputeLoss"/> consumes.</typeparam>
internal interface IBatchSource<out TBatch>
{
    /// <summary>Number of examples.</summary>
    int Count { get; }

    /// <summary>Length of an example (tokens), used only when batches are grouped by length.</summary>
    int GetLength(int index);

    /// <summary>
    /// Task group of an example, read by <see cref="TaskSampling.Proportional"/> and <see cref="TaskSampling.RoundRobin"/>
    /// (a batch then holds one group's examples). Any stable integer works, e.g. a bit mask of the heads the example
    /// is labelled for. Default: 0 for every example (one task).
    /// </summary>
    int GetTaskGroup(int index) => 0;

    /// <summary>
    /// A hash of the examples as fed (e.g. token ids and targets), recorded in checkpoints so that a run resumed on
    /// other data of the same size is refused. Null (the default): unknown, not checked.
    /// </summary>
    string? Fingerprint => null;

    /// <summary>
    /// Builds the batch of the given examples, e.g. padded to the longest of them (dynamic padding).
    /// Called inside the step's dispose scope: tensors created here are freed after the step.
    /// </summary>
    TBatch CreateBatch(IReadOnlyList<int> indices);
}
