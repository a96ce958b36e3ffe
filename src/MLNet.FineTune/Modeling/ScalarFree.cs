using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// Tensor arithmetic for hot paths that leaves nothing to the finalizer. TorchSharp turns every C# number handed to a tensor op,
/// and the implicit <c>alpha = 1</c> of <c>+</c>, <c>-</c> and <c>arange</c>'s bounds, into a native <see cref="Scalar"/>
/// that no dispose scope tracks (likewise <c>Tensor.shape</c>'s array and <c>item&lt;T&gt;()</c>'s accessor: use
/// <c>size(d)</c> and <see cref="ItemSingle"/>). Those few-byte native blocks live until a garbage collection, wedged between libtorch's
/// megabyte-sized activations, so glibc cannot coalesce and reuse the freed space: a training process's RSS grew by
/// ~10 MiB per step without <c>malloc_trim</c>, and trimming after every step cost ~20% of the step time in page faults
/// (measured, docs/benchmarks.md). These helpers pass a cached or immediately disposed Scalar instead.
/// </summary>
internal static class ScalarFree
{
    // Immutable native values, safe to share between threads for the process's lifetime.
    internal static readonly Scalar One = 1.ToScalar();

    /// <summary>A cached 0, for comparisons.</summary>
    internal static readonly Scalar Zero = 0.ToScalar();

    /// <summary><c>a + b</c> (broadcasting), without a finalizer-owned alpha.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a * factor</c>.</summary>
    public static Tensor Times(this Tensor a, double factor)
    {
        using var s = factor.ToScalar();
        return a.mul(s);
    }

    /// <summary><c>a + b * factor</c>, the product rounded before the sum as in <c>a + b * factor</c>.</summary>
    public static Tensor PlusScaled(this Tensor a, Tensor b, double factor)
    {
        using var s = factor.ToScalar();
        using var scaled = b.mul(s);
        return a.add(scaled, One);
    }

    /// <summary><c>arange(start, stop)</c> as Int64 on <paramref name="device"/>.</summary>
    public static Tensor Range(long start, long stop, Device device)
    {
        using var first = start.ToScalar();
        using var end = stop.ToScalar();
        return arange(first, end, One, ScalarType.Int64, device);
    }

    /// <summary>The value of a one-element tensor; <c>item&lt;T&gt;()</c> leaves a finalizable accessor behind on every call.</summary>
    public static float ItemSingle(this Tensor t)
    {
        using var s = t.ToScalar();
        return s.ToSingle();
    }

    /// <inheritdoc cref="ItemSingle(Tensor)"/>
    public static long ItemInt64(this Tensor t)
    {
        using var s = t.ToScalar();
        return s.ToInt64();
    }
}
