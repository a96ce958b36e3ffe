using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Tests.Generation;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Decoders;

/// <summary>
/// The preallocated KV cache (a capacity: buffers written in place, what generation uses) against the growing one
/// (a new tensor per append): the same hidden states step after step, and a clear refusal past its capacity.
/// </summary>
[TestClass]
public class KvCacheTests
{
    [TestMethod]
    [DataRow("gpt2")]
    [DataRow("llama")]
    public void APreallocatedCacheGivesTheGrowingCachesStates(string type)
    {
        var model = TinyDecoders.Create(type == "gpt2" ? TinyDecoders.Gpt2Config : TinyDecoders.LlamaConfig);
        using var _ = no_grad();
        using var growing = model.NewCache();
        using var preallocated = model.NewCache(capacity: 9);
        Assert.AreEqual(9L, preallocated.Capacity);
        using var prompt = tensor(new long[] { 3, 9, 14, 2, 0, 7, 1, 5 }, new long[] { 2, 4 });
        using var promptMask = ones(2, 4, ScalarType.Int64);
        Step(model, growing, preallocated, prompt, promptMask);
        for (int step = 0; step < 5; step++)
        {
            using var next = tensor(new long[] { 11 + step, 20 - step }, new long[] { 2, 1 });
            using var mask = ones(2, 5 + step, ScalarType.Int64);
            Step(model, growing, preallocated, next, mask);
        }
        Assert.AreEqual(9L, preallocated.Length);
        Assert.AreEqual(growing.Length, preallocated.Length);
    }

    static void Step(ICausalLanguageModel model, KvCache growing, KvCache preallocated, Tensor ids, Tensor mask)
    {
        using var positions = DecoderMasks.PositionIds(mask);
        using var lastPositions = positions.narrow(1, positions.size(1) - ids.size(1), ids.size(1));
        using var expected = model.HiddenStates(new DecoderInput(ids, mask, lastPositions, growing));
        using var actual = model.HiddenStates(new DecoderInput(ids, mask, lastPositions, preallocated));
        Assert.AreEqual(0.0, HfReference.MaxAbsDiff(actual, expected), 1e-6, $"after {growing.Length} positions");
    }

    [TestMethod]
    public void AppendingPastTheCapacityIsRefusedAndKeepsTheCache()
    {
        using var cache = new KvCache(layers: 1, capacity: 3);
        using var _ = no_grad();
        using var two = randn(1, 2, 2, 4);
        cache.Append(0, two, two);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => cache.Append(0, two, two));
        StringAssert.Contains(e.Message, "holds 3 positions; layer 0 has 2 and was given 2 more");
        Assert.AreEqual(2L, cache.Length);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new KvCache(1, capacity: 0));
    }
}
