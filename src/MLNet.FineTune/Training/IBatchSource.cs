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
    /// This source's own plan of one epoch, for data that constrains which examples may share a batch (e.g.
    /// <see cref="NoDuplicatesBatchPlanner"/>: no text twice in a batch of in-batch negatives). It must hold every example
    /// exactly once, batches of 1 to <paramref name="batchSize"/> examples, and depend only on its arguments (a resumed run
    /// plans the epoch again); the number of batches may differ between epochs. Null (the default): <see cref="BatchPlanner"/>
    /// plans (shuffling, length grouping, task sampling).
    /// </summary>
    IReadOnlyList<int[]>? PlanEpoch(int batchSize, int seed, int epoch, bool shuffle) => null;

    /// <summary>
    /// Builds the batch of the given examples, e.g. padded to the longest of them (dynamic padding).
    /// Called inside the step's dispose scope: tensors created here are freed after the step.
    /// </summary>
    TBatch CreateBatch(IReadOnlyList<int> indices);
}
