using MLNet.FineTune.Generation;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Generation;

/// <summary>Each processor against a hand computation on small logits.</summary>
[TestClass]
public class LogitsProcessorTests
{
    static float[] Values(Tensor t) => t.data<float>().ToArray();

    [TestMethod]
    public void RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokens()
    {
        using var logits = tensor(new float[] { 2, -1, 0.5f, 3 }).view(1, 4);
        using var seen = tensor(new long[] { 0, 1, 0 }).view(1, 3);
        CollectionAssert.AreEqual(new float[] { 1, -2, 0.5f, 3 }, Values(LogitsProcessors.RepetitionPenalty(logits, seen, 2.0)));
    }

    [TestMethod]
    public void TemperatureDividesLogits()
    {
        using var logits = tensor(new float[] { 2, -1 }).view(1, 2);
        CollectionAssert.AreEqual(new float[] { 4, -2 }, Values(LogitsProcessors.Temperature(logits, 0.5)));
    }

    [TestMethod]
    public void TopKKeepsTheKLargest()
    {
        using var logits = tensor(new float[] { 1, 4, 2, 3, 0, 4, 1, 1 }).view(2, 4);
        var kept = Values(LogitsProcessors.TopK(logits, 2));
        var ninf = float.NegativeInfinity;
        // Row 2 has a tie at the k-th value (1, 1, 1 after the 4): ties with the k-th largest are kept, as in HF.
        CollectionAssert.AreEqual(new[] { ninf, 4, ninf, 3, ninf, 4, 1, 1 }, kept);
    }

    [TestMethod]
    public void TopPKeepsTheSmallestSetReachingP()
    {
        // Probabilities 0.5, 0.3, 0.15, 0.05: ascending cumulative 0.05, 0.2, 0.5, 1.0. p = 0.6 removes cumulative ≤ 0.4.
        using var logits = tensor(new[] { 0.5f, 0.3f, 0.15f, 0.05f }).log().view(1, 4);
        var kept = Values(LogitsProcessors.TopP(logits, 0.6));
        Assert.IsTrue(float.IsFinite(kept[0]) && float.IsFinite(kept[1]), string.Join(", ", kept));
        Assert.IsTrue(float.IsNegativeInfinity(kept[2]) && float.IsNegativeInfinity(kept[3]), string.Join(", ", kept));
        // A tiny p still keeps the most likely token.
        var one = Values(LogitsProcessors.TopP(logits, 0.01));
        Assert.AreEqual(1, one.Count(float.IsFinite));
        Assert.IsTrue(float.IsFinite(one[0]));
    }

    [TestMethod]
    public void ApplyRunsPenaltyThenTemperatureThenTopK()
    {
        using var logits = tensor(new float[] { 2, -1, 0.5f, 3 }).view(1, 4);
        using var seen = tensor(new long[] { 3 }).view(1, 1);
        var options = new GenerationOptions { DoSample = true, RepetitionPenalty = 2, Temperature = 0.5, TopK = 2 };
        // penalty: 3 → 1.5; temperature: [4, -2, 1, 3]; top-2: [4, -inf, -inf, 3].
        CollectionAssert.AreEqual(new[] { 4, float.NegativeInfinity, float.NegativeInfinity, 3 }, Values(LogitsProcessors.Apply(logits, seen, options)));
    }

    [TestMethod]
    public void InvalidOptionsNameTheOption()
    {
        Assert.IsTrue(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new GenerationOptions { TopP = 0 }.Validate()).Message.Contains("TopP"));
        Assert.IsTrue(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new GenerationOptions { Temperature = 0 }.Validate()).Message.Contains("Temperature"));
        Assert.IsTrue(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new GenerationOptions { MaxNewTokens = 0 }.Validate()).Message.Contains("MaxNewTokens"));
        Assert.IsTrue(Assert.ThrowsExactly<ArgumentException>(() => new GenerationOptions { StopSequences = [""] }.Validate()).Message.Contains("StopSequences"));
    }
}
