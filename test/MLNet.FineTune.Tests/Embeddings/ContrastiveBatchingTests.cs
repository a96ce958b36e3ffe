using MLNet.FineTune.Tests.Training;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>
/// Duplicate-aware batching for in-batch negatives (sentence-transformers' NoDuplicatesBatchSampler): the planner, and the
/// trainer running a source's own epoch plans (step counts, resume).
/// </summary>
[TestClass]
public class ContrastiveBatchingTests
{
    // 23 pairs over few texts: anchors repeat (q0..q4), positives repeat (p0..p6), so most random batches of 4 would hold a duplicate.
    static readonly string[][] Texts = Enumerable.Range(0, 23).Select(i => new[] { $"q{i % 5}", $"p{i % 7}" }).ToArray();

    static IReadOnlyList<int[]> Plan(int epoch, bool shuffle = true, int batchSize = 4) =>
        NoDuplicatesBatchPlanner.Plan(Texts.Length, batchSize, 42, epoch, shuffle, i => Texts[i]);

    [TestMethod]
    public void NoBatchHoldsATextTwiceAndEveryExampleComesOnce()
    {
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var plan = Plan(epoch);
            CollectionAssert.AreEquivalent(Enumerable.Range(0, Texts.Length).ToArray(), plan.SelectMany(b => b).ToArray(), $"epoch {epoch}: a permutation");
            foreach (var batch in plan)
            {
                Assert.IsTrue(batch.Length is >= 1 and <= 4);
                var texts = batch.SelectMany(i => Texts[i]).ToList();
                Assert.AreEqual(texts.Count, texts.Distinct().Count(), $"epoch {epoch}: batch [{string.Join(", ", batch)}] repeats a text");
            }
            Assert.IsTrue(plan.Count >= 6, "at least ceil(23 / 4) batches");
        }
    }

    [TestMethod]
    public void PlansAreDeterministicPerSeedAndEpoch()
    {
        CollectionAssert.AreEqual(Flatten(Plan(1)), Flatten(Plan(1)));
        CollectionAssert.AreNotEqual(Flatten(Plan(0)), Flatten(Plan(1)), "a new shuffle each epoch");
        var otherSeed = NoDuplicatesBatchPlanner.Plan(Texts.Length, 4, 7, 1, true, i => Texts[i]);
        CollectionAssert.AreNotEqual(Flatten(Plan(1)), Flatten(otherSeed));
    }

    [TestMethod]
    public void WithoutDuplicatesItIsPlainChunking()
    {
        var plan = NoDuplicatesBatchPlanner.Plan(10, 4, 1, 0, false, i => [$"a{i}", $"b{i}"]);
        CollectionAssert.AreEqual(new[] { "0,1,2,3", "4,5,6,7", "8,9" }, plan.Select(b => string.Join(",", b)).ToArray());
        // The greedy fill skips a duplicate and takes it in a later batch: [0 1 3 4] [2 5].
        var skipped = NoDuplicatesBatchPlanner.Plan(6, 4, 1, 0, false, i => [i == 2 ? "x0" : $"x{i}"]);
        CollectionAssert.AreEqual(new[] { "0,1,3,4", "2,5" }, skipped.Select(b => string.Join(",", b)).ToArray());
        // All the same text: one example per batch.
        Assert.AreEqual(5, NoDuplicatesBatchPlanner.Plan(5, 4, 1, 0, true, _ => ["same"]).Count);
    }

    static int[] Flatten(IReadOnlyList<int[]> plan) => plan.SelectMany(b => b.Append(-1)).ToArray();

    /// <summary>TinyData whose epochs are planned without duplicate texts; records the batches it builds.</summary>
    sealed class NoDuplicatesData(int count) : IBatchSource<TinyBatch>
    {
        readonly TinyData data = new(count);
        public List<int[]> Built { get; } = [];
        public int Count => data.Count;
        public int GetLength(int index) => data.GetLength(index);
        public IReadOnlyList<int[]>? PlanEpoch(int batchSize, int seed, int epoch, bool shuffle) =>
            NoDuplicatesBatchPlanner.Plan(Count, batchSize, seed, epoch, shuffle, i => Texts[i]);
        public TinyBatch CreateBatch(IReadOnlyList<int> indices) { Built.Add(indices.ToArray()); return data.CreateBatch(indices); }
    }

    [TestMethod]
    public void TheTrainerRunsTheSourcesOwnPlansAndResumesThem()
    {
        var options = new TrainingOptions { Epochs = 3, BatchSize = 4, LearningRate = 1e-2, Seed = 42, CheckpointEverySteps = 3, TrimNativeMemoryEverySteps = 0 };
        var plans = Enumerable.Range(0, 3).Select(e => Plan(e)).ToList();
        var data = new NoDuplicatesData(Texts.Length);
        var reference = new TinyModel();
        var history = new Trainer<TinyBatch>(options).Train(reference, data);
        Assert.AreEqual(plans.Sum(p => p.Count), history.GlobalStep, "one step per planned batch, each epoch counted");
        CollectionAssert.AreEqual(plans.SelectMany(p => p).Select(b => string.Join(",", b)).ToArray(), data.Built.Select(b => string.Join(",", b)).ToArray());

        string folder = Path.Combine(Path.GetTempPath(), "mlnet-nodup-resume-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var cts = new CancellationTokenSource();
            int stopAt = plans[0].Count + 2; // inside the second epoch
            var progress = new InlineProgress(p => { if (p.Step == stopAt) cts.Cancel(); });
            var partial = new Trainer<TinyBatch>(options with { CheckpointFolder = folder }, progress).Train(new TinyModel(), new NoDuplicatesData(Texts.Length), cancellationToken: cts.Token);
            Assert.AreEqual(stopAt, partial.GlobalStep);
            var resumed = new TinyModel(initSeed: 99);
            var rest = new Trainer<TinyBatch>(options with { CheckpointFolder = folder, ResumeFromLatestCheckpoint = true, CheckpointEverySteps = 0 })
                .Train(resumed, new NoDuplicatesData(Texts.Length));
            Assert.AreEqual(history.GlobalStep, rest.GlobalStep);
            WeightAssert.Equal(reference.Weights(), resumed.Weights());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
