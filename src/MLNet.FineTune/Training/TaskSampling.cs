namespace MLNet.FineTune.Training;

/// <summary>
/// How multi-task training draws batches. A row's task is the set of heads it is labelled for (its task group, see
/// <see cref="IBatchSource{TBatch}.GetTaskGroup"/>); single-task training sees one group and every mode behaves alike.
/// </summary>
public enum TaskSampling
{
    /// <summary>Rows of all tasks are shuffled together; a batch may mix tasks. The default.</summary>
    Mixed,

    /// <summary>
    /// Every batch holds rows of one task only; the batches of all tasks are shuffled together, so a task is drawn in
    /// proportion to its number of batches. An epoch uses every row once. Without shuffling the tasks' batches are
    /// interleaved evenly instead.
    /// </summary>
    Proportional,

    /// <summary>
    /// Every batch holds rows of one task only and the tasks take turns in task-group order (A, B, A, B, …). An epoch is
    /// one pass over the task with the most batches; a smaller task that runs out is reshuffled and restarted, so its
    /// rows are seen more than once per epoch.
    /// </summary>
    RoundRobin,
}
