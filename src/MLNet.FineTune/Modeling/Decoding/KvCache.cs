using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>
/// The keys and values every attention layer has computed so far: a decoding step then runs the model on the new tokens
/// only. Tensors are (B, kv heads, S, head dim), owned by the cache (outside every dispose scope). Inference only:
/// appending under autograd would keep every step's graph alive.
/// <para>With a capacity (what generation knows: prompt + MaxNewTokens positions) each layer's keys and values live in
/// one buffer of that many positions, allocated on the first append and written in place (HF's StaticCache); a step
/// returns views of the filled prefix. Without one, each append replaces the tensors by ones a position longer (HF's
/// DynamicCache). The growing form copies the whole cache every step and, worse, allocates 2 × layers blocks each larger
/// than any freed one, which glibc's allocator keeps rather than reuses: GPT-2 small at batch 8 peaked at ~2.9 GiB for
/// 64 new tokens against ~1.2 GiB with the allocator told to return such blocks (docs/benchmarks.md, session 14).</para>
/// </summary>
internal sealed class KvCache : IDisposable
{
    readonly Tensor?[] keys, values;
    readonly long? capacity;
    readonly long[] lengths;

    /// <param name="layers">one slot per attention layer</param>
    /// <param name="capacity">positions the cache must hold at most (preallocated on first use); null: grow per append</param>
    public KvCache(int layers, long? capacity = null)
    {
        if (capacity is <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A KV cache's capacity is a positive number of positions.");
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
        lengths = new long[layers];
        this.capacity = capacity;
    }

    /// <summary>Positions cached so far (the same for every layer once a step is done).</summary>
    public long Length => lengths[0];

    /// <summary>Positions the cache holds at most, or null when it grows per append.</summary>
    public long? Capacity => capacity;

    /// <summary>Appends this step's keys and values to layer <paramref name="layer"/>'s and returns the whole sequence's
    /// (with a capacity: views of the filled prefix, in the caller's dispose scope; without: tensors owned by the cache).</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        long start = lengths[layer], added = newKeys.size(2);
        lengths[layer] = start + added;
        if (capacity is not { } positions)
        {
            keys[layer] = Concat(keys[layer], newKeys);
            values[layer] = Concat(values[layer], newValues);
            return (keys[layer]!, values[layer]!);
        }
        if (start + added > positions)
        {
            lengths[layer] = start;
            throw new InvalidOperationException($"The KV cache holds {positions} positions; layer {layer} has {start} and was given {added} more.");
        }
        keys[layer] ??= Buffer(newKeys, positions);
        values[layer] ??= Buffer(newValues, positions);
        using (var slot = keys[layer]!.narrow(2, start, added)) slot.copy_(newKeys);
        using (var slot = values[layer]!.narrow(2, start, added)) slot.copy_(newValues);
        return (keys[layer]!.narrow(2, 0, start + added), values[layer]!.narrow(2, 0, start + added));
    }

    static Tensor Buffer(Tensor like, long positions) =>
        empty([like.size(0), like.size(1), positions, like.size(3)], like.dtype, like.device).DetachFromDisposeScope();

    static Tensor Concat(Tensor? old, Tensor next)
    {
        var joined = (old is null ? next.detach().clone() : TensorMemory.Concat(old, next.detach(), 2)).DetachFromDisposeScope();
        old?.Dispose();
        return joined;
    }

    public void Dispose()
    {
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i]?.Dispose(); values[i]?.Dispose();
            keys[i] = values[i] = null;
            lengths[i] = 0;
        }
    }
}
