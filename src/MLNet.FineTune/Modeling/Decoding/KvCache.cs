using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>
/// The keys and values every attention layer has computed so far (HF's DynamicCache): a decoding step then runs the
/// model on the new tokens only. Tensors are (B, kv heads, S, head dim), owned by the cache (outside every dispose
/// scope) and replaced, not grown in place, on each append; the old ones are freed at once, so memory stays one
/// cache's worth. Inference only: appending under autograd would keep every step's graph alive.
/// </summary>
internal sealed class KvCache : IDisposable
{
    readonly Tensor?[] keys, values;

    public KvCache(int layers)
    {
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
    }

    /// <summary>Positions cached so far (the same for every layer once a step is done).</summary>
    public long Length => keys[0]?.size(2) ?? 0;

    /// <summary>Appends this step's keys and values to layer <paramref name="layer"/>'s and returns the whole sequence's (owned by the cache).</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        keys[layer] = Concat(keys[layer], newKeys);
        values[layer] = Concat(values[layer], newValues);
        return (keys[layer]!, values[layer]!);
    }

    static Tensor Concat(Tensor? old, Tensor next)
    {
        var joined = (old is null ? next.detach().clone() : cat([old, next.detach()], 2)).DetachFromDisposeScope();
        old?.Dispose();
        return joined;
    }

    public void Dispose()
    {
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i]?.Dispose(); values[i]?.Dispose();
            keys[i] = values[i] = null;
        }
    }
}
