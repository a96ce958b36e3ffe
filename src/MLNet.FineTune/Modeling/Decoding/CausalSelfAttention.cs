using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>
/// The part of attention GPT-2 and Llama share once queries, keys and values are projected (and rotated): append to
/// the cache, share each key/value head among its query group, and run the fused scaled-dot-product kernel with the
/// additive causal + padding mask (scale 1/√head_dim, as both models' eager attention).
/// </summary>
internal static class CausalSelfAttention
{
    /// <param name="q">(B, heads, T, D)</param> <param name="k">(B, kv heads, T, D)</param> <param name="v">(B, kv heads, T, D)</param>
    /// <param name="mask">(B, 1, T, S) additive</param>
    /// <param name="layer">the layer's slot in <paramref name="cache"/></param> <param name="cache">earlier steps' keys and values, or null</param>
    /// <param name="dropout">attention dropout (0 outside training)</param>
    /// <returns>(B, T, heads · D)</returns>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor mask, int layer, KvCache? cache, double dropout)
    {
        using var scope = NewDisposeScope();
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        long b = q.size(0), heads = q.size(1), t = q.size(2), d = q.size(3), kvHeads = k.size(1), groups = heads / kvHeads;
        // Grouped-query attention (groups > 1). HF's repeat_kv copies each kv head for the `groups` consecutive query heads it serves:
        // a (B, heads, S, D) copy of the keys and of the values per layer and step, growing with the sequence. Instead the
        // group's queries become extra query rows of their kv head, (B, kv heads, groups · T, D), with the mask tiled to
        // match: every query row still attends over its own kv head's keys, so each row's result is the same.
        var grouped = groups == 1 ? q : q.reshape(b, kvHeads, groups * t, d);
        var groupedMask = groups == 1 || mask.size(2) == 1 ? mask : mask.repeat(1, 1, groups, 1);
        var context = nn.functional.scaled_dot_product_attention(grouped, k, v, groupedMask, dropout); // (B, kv heads, groups · T, D)
        return context.reshape(b, heads, t, d).transpose(1, 2).reshape(b, t, -1).MoveToOuterDisposeScope();
    }
}
