using MLNet.FineTune.Embeddings;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>
/// SetFit's pair sampling (setfit v0.7 sentence_pairs_generation per iteration; v1.1.3 ContrastiveDataset oversampling):
/// counts, balance, pair labels, determinism, and small classes.
/// </summary>
[TestClass]
public class SetFitPairsTests
{
    static readonly int[] TwoClasses = [0, 0, 0, 1, 1, 1, 1];
    static readonly int[] ThreeClasses = [2, 0, 1, 2, 0, 1, 2, 2];

    static void AssertTargetsMatchClasses(IReadOnlyList<int> classes, IEnumerable<SentencePair> pairs)
    {
        foreach (var p in pairs)
        {
            Assert.IsTrue(p.First >= 0 && p.First < classes.Count && p.Second >= 0 && p.Second < classes.Count, $"index out of range in {p}");
            Assert.AreEqual(classes[p.First] == classes[p.Second] ? 1f : 0f, p.Target, $"pair {p} of classes {classes[p.First]}, {classes[p.Second]}");
        }
    }

    [TestMethod]
    public void PerIterationGivesEveryExampleOnePositiveThenOneNegativeEachIteration()
    {
        const int iterations = 5;
        var pairs = SetFitPairs.PerIteration(ThreeClasses, iterations, seed: 1);
        Assert.AreEqual(2 * iterations * ThreeClasses.Length, pairs.Count);
        AssertTargetsMatchClasses(ThreeClasses, pairs);
        for (int k = 0; k < pairs.Count; k += 2)
        {
            int example = k / 2 % ThreeClasses.Length; // SetFit's order: iteration, then example, then positive before negative
            Assert.AreEqual(example, pairs[k].First);
            Assert.AreEqual(example, pairs[k + 1].First);
            Assert.AreEqual(1f, pairs[k].Target);
            Assert.AreEqual(0f, pairs[k + 1].Target);
        }
        Assert.AreEqual(pairs.Count / 2, pairs.Count(p => p.Target == 1f), "balanced: as many positives as negatives");
    }

    [TestMethod]
    public void PerIterationDrawsPartnersFromAllOfTheClassAndAllOfTheOthers()
    {
        var pairs = SetFitPairs.PerIteration(TwoClasses, 200, seed: 3);
        // Example 0 (class 0, members 0..2): positives may be itself, as numpy's choice over np.where(labels == label) is.
        CollectionAssert.AreEquivalent(new[] { 0, 1, 2 }, pairs.Where(p => p.First == 0 && p.Target == 1).Select(p => p.Second).Distinct().ToArray());
        CollectionAssert.AreEquivalent(new[] { 3, 4, 5, 6 }, pairs.Where(p => p.First == 0 && p.Target == 0).Select(p => p.Second).Distinct().ToArray());
    }

    [TestMethod]
    public void OversamplingBalancesAllPairsWithReplacement()
    {
        // 7 examples: 28 unordered pairs with replacement; positives 3·4/2 + 4·5/2 = 16 (self-pairs included), negatives 3·4 = 12.
        var pairs = SetFitPairs.Oversampling(TwoClasses, seed: 5);
        Assert.AreEqual(2 * 16, pairs.Count);
        AssertTargetsMatchClasses(TwoClasses, pairs);
        for (int k = 0; k < pairs.Count; k += 2) { Assert.AreEqual(1f, pairs[k].Target); Assert.AreEqual(0f, pairs[k + 1].Target); }
        var positives = pairs.Where(p => p.Target == 1).Select(p => (p.First, p.Second)).ToList();
        var negatives = pairs.Where(p => p.Target == 0).Select(p => (p.First, p.Second)).ToList();
        Assert.AreEqual(16, positives.Distinct().Count(), "every positive pair once");
        Assert.AreEqual(12, negatives.Distinct().Count(), "every negative pair, the first 4 again to balance");
        Assert.IsTrue(pairs.All(p => p.First <= p.Second), "np.triu_indices order within a pair");
        CollectionAssert.AreEqual(negatives.Take(4).ToList(), negatives.Skip(12).ToList(), "the smaller side is cycled from its start");
    }

    [TestMethod]
    public void OversamplingWithThreeClassesHasMoreNegativesSoPositivesRepeat()
    {
        // ThreeClasses: sizes 2, 2, 4 → positives 3 + 3 + 10 = 16; all 36 pairs − 16 = 20 negatives.
        var pairs = SetFitPairs.Oversampling(ThreeClasses, seed: 5);
        Assert.AreEqual(2 * 20, pairs.Count);
        AssertTargetsMatchClasses(ThreeClasses, pairs);
        Assert.AreEqual(16, pairs.Where(p => p.Target == 1).Distinct().Count());
        Assert.AreEqual(20, pairs.Where(p => p.Target == 0).Distinct().Count());
    }

    [TestMethod]
    public void TheSameSeedGivesTheSamePairsAndAnotherSeedOthers()
    {
        CollectionAssert.AreEqual(SetFitPairs.PerIteration(ThreeClasses, 4, 7), SetFitPairs.PerIteration(ThreeClasses, 4, 7));
        CollectionAssert.AreEqual(SetFitPairs.Oversampling(ThreeClasses, 7), SetFitPairs.Oversampling(ThreeClasses, 7));
        CollectionAssert.AreNotEqual(SetFitPairs.PerIteration(ThreeClasses, 4, 7), SetFitPairs.PerIteration(ThreeClasses, 4, 8));
        CollectionAssert.AreNotEqual(SetFitPairs.Oversampling(ThreeClasses, 7), SetFitPairs.Oversampling(ThreeClasses, 8));
    }

    [TestMethod]
    public void AClassWithOneExamplePairsWithItselfAsItsPositive()
    {
        int[] classes = [0, 1, 1, 1];
        var perIteration = SetFitPairs.PerIteration(classes, 3, seed: 0);
        Assert.IsTrue(perIteration.Where(p => p.First == 0 && p.Target == 1).All(p => p.Second == 0));
        Assert.AreEqual(3, perIteration.Count(p => p.First == 0 && p.Target == 0));
        AssertTargetsMatchClasses(classes, perIteration);
        var oversampled = SetFitPairs.Oversampling(classes, seed: 0);
        CollectionAssert.Contains(oversampled, new SentencePair(0, 0, 1f));
        AssertTargetsMatchClasses(classes, oversampled);
    }

    [TestMethod]
    public void OneExamplePerClassStillGivesBothKinds()
    {
        int[] classes = [0, 1, 2];
        var pairs = SetFitPairs.PerIteration(classes, 2, seed: 0);
        Assert.AreEqual(12, pairs.Count);
        Assert.IsTrue(pairs.Where(p => p.Target == 1).All(p => p.First == p.Second));
        AssertTargetsMatchClasses(classes, pairs);
        var oversampled = SetFitPairs.Oversampling(classes, seed: 0); // 3 self-pairs, 3 negatives
        Assert.AreEqual(6, oversampled.Count);
        AssertTargetsMatchClasses(classes, oversampled);
    }

    [TestMethod]
    public void OneClassIsRefusedNamingTheNeedForNegatives()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => SetFitPairs.PerIteration([4, 4, 4], 2, 0));
        StringAssert.Contains(e.Message, "at least 2 classes");
        StringAssert.Contains(e.Message, "1 class(es) in 3 row(s)");
        Assert.ThrowsExactly<InvalidOperationException>(() => SetFitPairs.Oversampling([4, 4], 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SetFitPairs.PerIteration([0, 1], 0, 0));
    }
}
