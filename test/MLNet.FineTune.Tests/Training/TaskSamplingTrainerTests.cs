using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Training;

[TestClass]
[DoNotParallelize]
public class TaskSamplingTrainerTests
{
    /// <summary><see cref="TinyData"/> with two task groups (every third row is task 1) that records the batches it built.</summary>
    sealed class TwoTaskData(int count) : IBatchSource<TinyBatch>
    {
        readonly TinyData data = new(count);
        public List<int[]> Built { get; } = new();
        public int Count => data.Count;
        public int GetLength(int index) => data.GetLength(index);
        public int GetTaskGroup(int index) => index % 3 == 0 ? 1 : 0;
        public TinyBatch CreateBatch(IReadOnlyList<int> indices) { Built.Add(indices.ToArray()); return data.CreateBatch(indices); }
    }

    static readonly TrainingOptions Options = new() { LearningRate = 1e-2, Epochs = 2, BatchSize = 4, WarmupRatio = 0.2, LoggingSteps = 1000 };

    [TestMethod]
    public void RoundRobinTrainsOnSingleTaskBatchesTakingTurnsAndLogsItsEpoch()
    {
        // 30 rows: task 0 has 20 (5 batches), task 1 has 10 (3 batches) -> 10 batches per epoch, 2 epochs.
        var data = new TwoTaskData(30);
        var log = new List<string>();
        var history = new Trainer<TinyBatch>(Options with { TaskSampling = TaskSampling.RoundRobin }, log: log.Add).Train(new TinyModel(), data);
        Assert.AreEqual(20, history.GlobalStep);
        CollectionAssert.AreEqual(Enumerable.Range(0, 20).Select(k => k % 2).ToArray(), data.Built.Select(b => data.GetTaskGroup(b[0])).ToArray());
        Assert.IsTrue(data.Built.All(b => b.All(i => data.GetTaskGroup(i) == data.GetTaskGroup(b[0]))), "single-task batches");
        var line = log.Single(l => l.StartsWith("Task sampling RoundRobin"));
        StringAssert.Contains(line, "group 0: 20 rows, group 1: 10 rows");
        StringAssert.Contains(line, "one pass over the largest group (10 batches)");
    }

    [TestMethod]
    [DataRow(TaskSampling.Proportional)]
    [DataRow(TaskSampling.RoundRobin)]
    public void ResumeReproducesAnUninterruptedGroupedRunAndRefusesAnotherMode(TaskSampling sampling)
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnet-ft-tasksampling-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = Options with { TaskSampling = sampling, GroupByLength = true, Epochs = 3, CheckpointEverySteps = 3 };
            var data = new TwoTaskData(22);
            var reference = new TinyModel();
            var expected = new Trainer<TinyBatch>(options).Train(reference, data);

            using var cts = new CancellationTokenSource();
            var progress = new InlineProgress(p => { if (p.Step == 7) cts.Cancel(); });
            new Trainer<TinyBatch>(options with { CheckpointFolder = folder }, progress).Train(new TinyModel(), data, null, cts.Token);

            var wrongMode = options with { CheckpointFolder = folder, ResumeFromLatestCheckpoint = true, TaskSampling = TaskSampling.Mixed };
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => new Trainer<TinyBatch>(wrongMode).Train(new TinyModel(), data));
            StringAssert.Contains(e.Message, $"TaskSampling {sampling}, this run uses Mixed");

            var resumed = new TinyModel(initSeed: 99);
            var rest = new Trainer<TinyBatch>(options with { CheckpointFolder = folder, ResumeFromLatestCheckpoint = true, CheckpointEverySteps = 0 })
                .Train(resumed, data);
            Assert.AreEqual(7, rest.ResumedFromStep);
            Assert.AreEqual(expected.GlobalStep, rest.GlobalStep);
            WeightAssert.Equal(reference.Weights(), resumed.Weights());
            CollectionAssert.AreEqual(expected.Steps, rest.Steps);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
