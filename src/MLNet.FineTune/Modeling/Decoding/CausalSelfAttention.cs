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
        long groups = q.size(1) / k.size(1);
        if (groups > 1)
        {
            // HF's repeat_kv: each kv head serves `groups` consecutive query heads.
            k = k.repeat_interleave(groups, 1);
            v = v.repeat_interleave(groups, 1);
        }
        var context = nn.functional.scaled_dot_product_attention(q, k, v, mask, dropout);
        long b = q.size(0), t = q.size(2);
        return context.transpose(1, 2).reshape(b, t, -1).MoveToOuterDisposeScope();
    }
}
