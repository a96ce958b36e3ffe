using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// Raw access to a CPU tensor's buffer, for the few kernels written in C# (dropout masks, the AdamW update) and for
/// reading small tensors without <c>data&lt;T&gt;()</c>, whose accessor is left to the finalizer on every call (see
/// <see cref="ScalarFree"/> for why that matters).
/// </summary>
internal static class TensorMemory
{
    [DllImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    static extern IntPtr THSTensor_data(IntPtr tensor);

    /// <summary>Whether a tensor's elements lie densely in one CPU buffer of float32 (so a kernel may index it 0..numel−1).</summary>
    public static bool IsDenseCpuFloat(Tensor t) => t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.is_contiguous() && !t.is_sparse;

    /// <summary>The address of the tensor's first element (storage offset included). The tensor must outlive its use.</summary>
    public static nint DataPointer(Tensor t) => THSTensor_data(t.Handle);

    /// <summary>A new CPU int64 tensor holding <paramref name="values"/> (copied), without the pinned-array bookkeeping of <c>torch.tensor(array)</c>.</summary>
    public static unsafe Tensor FromInt64(long[] values, params long[] shape)
    {
        var t = empty(shape, ScalarType.Int64);
        if (t.numel() != values.Length) { t.Dispose(); throw new ArgumentException($"{values.Length} values do not fill shape [{string.Join(", ", shape)}].", nameof(values)); }
        values.AsSpan().CopyTo(new Span<long>((void*)DataPointer(t), values.Length));
        return t;
    }

    /// <summary>Elements per parallel work item of <see cref="ForEachChunk"/>: large enough to amortise scheduling, small enough to balance 2–16 threads.</summary>
    const int ChunkElements = 1 << 16;

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) in chunks, on as many threads as libtorch uses.
    /// For elementwise kernels only: the result must not depend on how the range is split.
    /// </summary>
    public static void ForEachChunk(long count, Action<long, long> body)
    {
        long chunks = (count + ChunkElements - 1) / ChunkElements;
        int threads = Math.Max(1, get_num_threads());
        if (chunks <= 1 || threads == 1) { body(0, count); return; }
        Parallel.For(0L, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads },
            c => body(c * ChunkElements, Math.Min(count, (c + 1) * ChunkElements)));
    }

    /// <summary>
    /// <c>cat([first, second], dim)</c>, the same values, without the finalizable object TorchSharp's <c>cat</c> leaves
    /// behind on every call (measured: one per call); for per-token paths such as decoding.
    /// </summary>
    public static Tensor Concat(Tensor first, Tensor second, long dim)
    {
        int axis = (int)(dim < 0 ? dim + first.dim() : dim);
        var shape = new long[first.dim()];
        for (int d = 0; d < shape.Length; d++) shape[d] = d == axis ? first.size(d) + second.size(d) : first.size(d);
        var result = empty(shape, first.dtype, first.device);
        using (var head = result.narrow(axis, 0, first.size(axis))) head.copy_(first);
        using (var tail = result.narrow(axis, first.size(axis), second.size(axis))) tail.copy_(second);
        return result;
    }

    /// <summary>The values of a CPU tensor as int64, in row-major order.</summary>
    public static unsafe long[] ToInt64Array(Tensor t)
    {
        if (t.device_type != DeviceType.CPU) throw new ArgumentException("ToInt64Array reads CPU tensors only.", nameof(t));
        using var scope = NewDisposeScope();
        var dense = t.to(ScalarType.Int64).contiguous();
        var values = new long[dense.numel()];
        new ReadOnlySpan<long>((void*)DataPointer(dense), values.Length).CopyTo(values);
        return values;
    }
}
