using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>The attention masks and position ids of causal decoding, as transformers 4.40 builds them.</summary>
internal static class DecoderMasks
{
    /// <summary>
    /// Additive mask (B, 1, T, S) for T new queries after <paramref name="past"/> cached positions (S = past + T): 0
    /// where query i may see key j (j ≤ past + i, the key is not padding, and within the sliding window), else the
    /// dtype's most negative finite value. Finite, as HF's: a padded query row sees nothing, and −∞ would turn its
    /// softmax into NaN, which later layers would spread to real rows through 0 · NaN.
    /// </summary>
    public static Tensor Additive(long batch, long queries, long past, Tensor? attentionMask, int? slidingWindow, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        long keys = past + queries;
        var q = ScalarFree.Range(past, keys, device).view(queries, 1);
        var k = ScalarFree.Range(0, keys, device).view(1, keys);
        var allowed = k <= q;                                                        // (T, S)
        if (slidingWindow is int w) allowed = allowed.logical_and(k > q - w);        // Mistral: keys within the last w positions
        allowed = allowed.unsqueeze(0).expand(batch, queries, keys);                 // (B, T, S)
        if (attentionMask is not null)
        {
            if (attentionMask.size(0) != batch || attentionMask.size(1) != keys)
                throw new ArgumentException($"The attention mask is [{attentionMask.size(0)}, {attentionMask.size(1)}] but the batch has {batch} rows of {past} cached + {queries} new positions.");
            allowed = allowed.logical_and(attentionMask.to(device).ne(0).unsqueeze(1));
        }
        var min = dtype == ScalarType.Float64 ? double.MinValue : float.MinValue;
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
        return (mask.cumsum(-1) - 1).masked_fill(mask.eq(0), 1).MoveToOuterDisposeScope();
    }

    /// <summary>Default positions past … past + T − 1 for every row (B, T).</summary>
    public static Tensor DefaultPositionIds(long batch, long queries, long past, Device device)
    {
        using var scope = NewDisposeScope();
        return ScalarFree.Range(past, past + queries, device).unsqueeze(0).expand(batch, queries).MoveToOuterDisposeScope();
    }
}
