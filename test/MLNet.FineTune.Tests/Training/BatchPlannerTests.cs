using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Training;

[TestClass]
public class BatchPlannerTests
{
    [TestMethod]
    public void ShuffledPlanCoversEveryExampleOnceAndIsReproducible()
    {
        var plan = BatchPlanner.Plan(23, 4, seed: 42, epoch: 0, shuffle: true);
        Assert.AreEqual(6, plan.Count);
        Assert.AreEqual(3, plan[^1].Length);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 23).ToArray(), plan.SelectMany(b => b).ToArray());
        CollectionAssert.AreEqual(plan.SelectMany(b => b).ToArray(), BatchPlanner.Plan(23, 4, 42, 0, true).SelectMany(b => b).ToArray());
        CollectionAssert.AreNotEqual(plan.SelectMany(b => b).ToArray(), BatchPlanner.Plan(23, 4, 42, 1, true).SelectMany(b => b).ToArray());
        CollectionAssert.AreNotEqual(plan.SelectMany(b => b).ToArray(), BatchPlanner.Plan(23, 4, 43, 0, true).SelectMany(b => b).ToArray());
    }

    [TestMethod]
    public void UnshuffledPlanKeepsOrder() =>
        CollectionAssert.AreEqual(Enumerable.Range(0, 10).ToArray(), BatchPlanner.Plan(10, 3, 1, 5, shuffle: false).SelectMany(b => b).ToArray());

    [TestMethod]
    public void LengthGroupingCutsPaddingDeterministically()
    {
        var random = new Random(5);
        int[] lengths = Enumerable.Range(0, 1000).Select(_ => random.Next(1, 200)).ToArray();
        static long Padded(IReadOnlyList<int[]> plan, int[] lengths) => plan.Sum(b => (long)b.Max(i => lengths[i]) * b.Length);
        var grouped = BatchPlanner.Plan(1000, 8, 42, 0, true, i => lengths[i]);
        var plain = BatchPlanner.Plan(1000, 8, 42, 0, true);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 1000).ToArray(), grouped.SelectMany(b => b).ToArray());
        Assert.IsTrue(Padded(grouped, lengths) < 0.6 * Padded(plain, lengths), $"{Padded(grouped, lengths)} vs {Padded(plain, lengths)}");
        CollectionAssert.AreEqual(grouped.SelectMany(b => b).ToArray(), BatchPlanner.Plan(1000, 8, 42, 0, true, i => lengths[i]).SelectMany(b => b).ToArray());
    }
}
