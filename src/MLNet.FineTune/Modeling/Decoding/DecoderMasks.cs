using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>The attention masks and position ids of causal decoding, as transformers 4.40 builds them.</summary>
internal static class DecoderMasks
{
    /// <summary>
    /// Additive mask (B, 1, T, S) for T new queries after <paramref name="past"/> cached positions (S = past + T): 0
    /// where query i may see key j (j ≤ past + i, the key is not padding, and within the sliding window), else the
    /// dtype's most negative finite value. Finite, as HF's: a padded query row sees nothing, and −∞ would turn its
    /// softmax into NaN, which later layers would spread to real rows through 0 · NaN. With <paramref name="sequenceIds"/>
    /// (B, T; packed rows, no cache) query i also needs key j in its own example: block-diagonal causal attention, the
    /// effect of HF's DataCollatorWithFlattening (which reaches it through flash-attention's sequence boundaries).
    /// </summary>
    public static Tensor Additive(long batch, long queries, long past, Tensor? attentionMask, int? slidingWindow, ScalarType dtype, Device device,
        Tensor? sequenceIds = null)
    {
        using var scope = NewDisposeScope();
        long keys = past + queries;
        var q = ScalarFree.Range(past, keys, device).view(queries, 1);
        var k = ScalarFree.Range(0, keys, device).view(1, keys);
        var allowed = k <= q;                                                        // (T, S)
        if (slidingWindow is int w)
        {
            using var window = ((long)w).ToScalar();
            allowed = allowed.logical_and(k > q.sub(window));        // Mistral: keys within the last w positions
        }
        allowed = allowed.unsqueeze(0).expand(batch, queries, keys);                 // (B, T, S)
        if (attentionMask is not null)
        {
            if (attentionMask.size(0) != batch || attentionMask.size(1) != keys)
                throw new ArgumentException($"The attention mask is [{attentionMask.size(0)}, {attentionMask.size(1)}] but the batch has {batch} rows of {past} cached + {queries} new positions.");
            allowed = allowed.logical_and(attentionMask.to(device).ne(ScalarFree.Zero).unsqueeze(1));
        }
        if (sequenceIds is not null)
        {
            if (past != 0 || sequenceIds.size(0) != batch || sequenceIds.size(1) != queries)
                throw new ArgumentException($"Sequence ids are [{string.Join(", ", sequenceIds.shape)}] but the batch has {batch} rows of {queries} positions{(past != 0 ? $" after {past} cached ones (packed rows cannot use a cache)" : "")}.");
            var ids = sequenceIds.to(device);
            allowed = allowed.logical_and(ids.unsqueeze(2).eq(ids.unsqueeze(1)));          // same example
        }
        using var min = (dtype == ScalarType.Float64 ? double.MinValue : float.MinValue).ToScalar();
        return zeros(batch, 1, queries, keys, dtype: dtype, device: device)
            .masked_fill(allowed.logical_not().unsqueeze(1), min).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Position ids from a (B, S) attention mask, as <c>generate()</c> derives them: <c>cumsum(mask) − 1</c>, padded
    /// positions set to 1; so a left-padded row numbers its first real token 0, exactly as without padding.
    /// </summary>
    public static Tensor PositionIds(Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var mask = attentionMask.to_type(ScalarType.Int64);
        return mask.cumsum(-1).sub(ScalarFree.One).masked_fill(mask.eq(ScalarFree.Zero), ScalarFree.One).MoveToOuterDisposeScope();
    }

    /// <summary>Default positions past … past + T − 1 for every row (B, T).</summary>
    public static Tensor DefaultPositionIds(long batch, long queries, long past, Device device)
    {
        using var scope = NewDisposeScope();
        return ScalarFree.Range(past, past + queries, device).unsqueeze(0).expand(batch, queries).MoveToOuterDisposeScope();
    }
}
