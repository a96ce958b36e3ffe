using MLNet.FineTune.Modeling.Decoding;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Decoders;

/// <summary>
/// Grouped-query attention folds each kv head's query heads into extra query rows instead of copying the keys and
/// values per query head (HF's repeat_kv); the result must be repeat_kv's, with a per-query mask and a broadcast one.
/// </summary>
[TestClass]
public class GroupedQueryAttentionTests
{
    [TestMethod]
    [DataRow(5, false)]
    [DataRow(5, true)]
    [DataRow(1, false)]
    public void FoldedGroupsEqualRepeatedKeysAndValues(int queries, bool broadcastMask)
    {
        manual_seed(4);
        using var _ = no_grad();
        long b = 2, heads = 6, kvHeads = 2, keys = 7, d = 8;
        var q = randn(b, heads, queries, d);
        var k = randn(b, kvHeads, keys, d);
        var v = randn(b, kvHeads, keys, d);
        var mask = broadcastMask
            ? DecoderMasks.Additive(b, 1, keys - 1, null, null, ScalarType.Float32, CPU)
            : DecoderMasks.Additive(b, queries, keys - queries, ones(b, keys, ScalarType.Int64), null, ScalarType.Float32, CPU);
        using var actual = CausalSelfAttention.Attend(q, k, v, mask, layer: 0, cache: null, dropout: 0);
        using var reference = nn.functional.scaled_dot_product_attention(q, k.repeat_interleave(3, 1), v.repeat_interleave(3, 1), mask)
            .transpose(1, 2).reshape(b, queries, -1);
        CollectionAssert.AreEqual(new[] { b, queries, heads * d }, actual.shape);
        Assert.AreEqual(0.0, HfReference.MaxAbsDiff(actual, reference), 1e-6);
    }
}
