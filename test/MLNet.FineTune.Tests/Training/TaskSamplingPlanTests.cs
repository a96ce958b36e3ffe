using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Training;

[TestClass]
public class TaskSamplingPlanTests
{
    // 100 rows in three task groups of unequal size: group 2 = every 7th row, group 1 = other multiples of 3, group 0 = the rest.
    static int Group(int i) => i % 7 == 0 ? 2 : i % 3 == 0 ? 1 : 0;
    static int Length(int i) => 1 + i * 37 % 23;
    const int Rows = 100, BatchSize = 8;
    static readonly int[] GroupSizes = [.. Enumerable.Range(0, 3).Select(g => Enumerable.Range(0, Rows).Count(i => Group(i) == g))];

    static IReadOnlyList<int[]> Plan(TaskSampling sampling, int epoch = 0, bool shuffle = true, bool byLength = false, int seed = 42) =>
        BatchPlanner.Plan(Rows, BatchSize, seed, epoch, shuffle, byLength ? Length : null, sampling, Group);

    static int GroupOf(int[] batch)
    {
        var groups = batch.Select(Group).Distinct().ToList();
        Assert.AreEqual(1, groups.Count, $"batch [{string.Join(",", batch)}] mixes task groups {string.Join(",", groups)}");
        return groups[0];
    }

    [TestMethod]
    [DataRow(false, true)]
    [DataRow(true, true)]
    [DataRow(false, false)]
    public void ProportionalBatchesAreSingleTaskUseEveryRowOnceAndCountPerTask(bool byLength, bool shuffle)
    {
        var plan = Plan(TaskSampling.Proportional, byLength: byLength, shuffle: shuffle);
        var groups = plan.Select(GroupOf).ToList();
        CollectionAssert.AreEqual(Enumerable.Range(0, Rows).ToArray(), plan.SelectMany(b => b).Order().ToArray(), "every row exactly once");
        for (int g = 0; g < 3; g++) Assert.AreEqual((GroupSizes[g] + BatchSize - 1) / BatchSize, groups.Count(x => x == g), $"batches of group {g}");
        Assert.AreEqual(plan.Count, BatchPlanner.BatchesPerEpoch(Rows, BatchSize, TaskSampling.Proportional, Group));
        // Interleaved, not task after task: the group changes far more often than the 2 changes of a grouped order.
        Assert.IsTrue(groups.Zip(groups.Skip(1)).Count(p => p.First != p.Second) > 4, string.Join("", groups));
        if (byLength)
            foreach (var batch in plan) CollectionAssert.AreEqual(batch.Select(Length).OrderDescending().ToArray(), batch.Select(Length).ToArray(), "longest first within a batch");
        if (!shuffle)
            foreach (var g in Enumerable.Range(0, 3))
            {
                var rows = plan.Where(b => GroupOf(b) == g).SelectMany(b => b).ToArray();
                CollectionAssert.AreEqual(rows.Order().ToArray(), rows, "unshuffled rows keep their order within a task");
            }
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void RoundRobinTakesTurnsForOnePassOverTheLargestTask(bool byLength)
    {
        var plan = Plan(TaskSampling.RoundRobin, byLength: byLength);
        int largest = (GroupSizes.Max() + BatchSize - 1) / BatchSize;
        Assert.AreEqual(3 * largest, plan.Count);
        Assert.AreEqual(plan.Count, BatchPlanner.BatchesPerEpoch(Rows, BatchSize, TaskSampling.RoundRobin, Group));
        CollectionAssert.AreEqual(Enumerable.Range(0, plan.Count).Select(k => k % 3).ToArray(), plan.Select(GroupOf).ToArray(), "0,1,2,0,1,2,…");
        // The largest task: every row exactly once. Smaller ones restart: each pass of ceil(n/b) batches covers every row once.
        var group0 = plan.Where(b => Group(b[0]) == 0).SelectMany(b => b).Order().ToArray();
        CollectionAssert.AreEqual(Enumerable.Range(0, Rows).Where(i => Group(i) == 0).ToArray(), group0);
        for (int g = 1; g < 3; g++)
        {
            var batches = plan.Where(b => Group(b[0]) == g).ToList();
            int perPass = (GroupSizes[g] + BatchSize - 1) / BatchSize;
            Assert.IsTrue(batches.Count > perPass, $"group {g} must restart");
            for (int pass = 0; (pass + 1) * perPass <= batches.Count; pass++)
                CollectionAssert.AreEqual(Enumerable.Range(0, Rows).Where(i => Group(i) == g).ToArray(),
                    batches.Skip(pass * perPass).Take(perPass).SelectMany(b => b).Order().ToArray(), $"group {g} pass {pass}");
        }
        var secondPassOfGroup2 = plan.Where(b => Group(b[0]) == 2).Skip(2).Take(2).SelectMany(b => b).ToArray();
        var firstPassOfGroup2 = plan.Where(b => Group(b[0]) == 2).Take(2).SelectMany(b => b).ToArray();
        CollectionAssert.AreNotEqual(firstPassOfGroup2, secondPassOfGroup2, "a restarted task is reshuffled");
    }

    [TestMethod]
    [DataRow(TaskSampling.Proportional)]
    [DataRow(TaskSampling.RoundRobin)]
    public void PlansAreDeterministicForASeedAndChangeWithEpochAndSeed(TaskSampling sampling)
    {
        AssertSamePlan(Plan(sampling, byLength: true), Plan(sampling, byLength: true));
        Assert.IsFalse(SamePlan(Plan(sampling), Plan(sampling, epoch: 1)), "a new shuffle each epoch");
        Assert.IsFalse(SamePlan(Plan(sampling), Plan(sampling, seed: 7)), "the seed matters");
    }

    [TestMethod]
    [DataRow(TaskSampling.Proportional, false)]
    [DataRow(TaskSampling.RoundRobin, true)]
    public void OneTaskGivesTheMixedPlanInEveryMode(TaskSampling sampling, bool byLength)
    {
        var mixed = BatchPlanner.Plan(Rows, BatchSize, 3, 1, true, byLength ? Length : null);
        AssertSamePlan(mixed, BatchPlanner.Plan(Rows, BatchSize, 3, 1, true, byLength ? Length : null, sampling, _ => 5));
        AssertSamePlan(mixed, BatchPlanner.Plan(Rows, BatchSize, 3, 1, true, byLength ? Length : null, sampling, null));
        AssertSamePlan(mixed, BatchPlanner.Plan(Rows, BatchSize, 3, 1, true, byLength ? Length : null, TaskSampling.Mixed, Group));
        Assert.AreEqual(13, BatchPlanner.BatchesPerEpoch(Rows, BatchSize, sampling, null));
    }

    [TestMethod]
    public void MixedBatchesMixTasks()
    {
        var plan = Plan(TaskSampling.Mixed);
        Assert.IsTrue(plan.Any(b => b.Select(Group).Distinct().Count() > 1), "today's behaviour: tasks mixed within batches");
        Assert.AreEqual(13, plan.Count);
    }

    [TestMethod]
    public void EmptyDataGivesAnEmptyPlan()
    {
        Assert.AreEqual(0, BatchPlanner.Plan(0, 4, 1, 0, true, null, TaskSampling.RoundRobin, Group).Count);
        Assert.AreEqual(0, BatchPlanner.BatchesPerEpoch(0, 4, TaskSampling.RoundRobin, Group));
    }

    static bool SamePlan(IReadOnlyList<int[]> a, IReadOnlyList<int[]> b) => a.Count == b.Count && a.Zip(b).All(p => p.First.SequenceEqual(p.Second));

    static void AssertSamePlan(IReadOnlyList<int[]> expected, IReadOnlyList<int[]> actual) =>
        Assert.IsTrue(SamePlan(expected, actual), "plans differ");
}
