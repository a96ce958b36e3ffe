using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.WeightPacking;

/// <summary>
/// Scoring with the encoders' weights in MKL's packed layout. A scorer owns one <see cref="PackedWeightScoring"/> and
/// wraps each forward pass in <see cref="Activate"/>; the encoders compute every projection through
/// <see cref="Project"/>, which takes the packed product when this thread is scoring, gradients are off, the layer is a
/// plain <see cref="Linear"/> (a LoRA or adapter layer's base included) and the product has at most
/// <see cref="MaxRows"/> rows: the single sentences and short batches where libtorch's linear is slowest (a 15-token
/// sentence: its 36 weight products in 0.68× the time). Larger products gain ≤ 5% and keep libtorch's linear. Training
/// never sees packs: it runs with gradients on and outside any scorer.
/// <para>Each layer is packed the first time it is used, and again whenever its weight changed
/// (<see cref="PackedLinearWeight.Matches"/>). Results equal libtorch's linear to rounding (≤ 2e-6 relative);
/// MLNET_FINETUNE_PACKED_WEIGHTS=off turns it off for the process.</para>
/// </summary>
internal sealed class PackedWeightScoring
{
    public const string Variable = "MLNET_FINETUNE_PACKED_WEIGHTS";

    /// <summary>Rows (tokens of a padding-free batch, batch × length of a padded one) up to which the packed product is used.</summary>
    public const int MaxRows = 64;

    /// <summary>Whether packed scoring can run in this process: MKL's packed GEMM is exported and the variable does not say off.</summary>
    public static bool Enabled { get; } = !string.Equals(Environment.GetEnvironmentVariable(Variable), "off", StringComparison.OrdinalIgnoreCase)
        && MklPackedGemm.Available;

    /// <summary>What scoring does in this process, in words (for <c>mlnet-finetune env</c>).</summary>
    public static string State => Enabled ? $"on: MKL packed weights for products of up to {MaxRows} rows ({Variable}=off turns it off)"
        : MklPackedGemm.Available ? $"off ({Variable}=off)" : "unavailable: this libtorch exports no MKL packed GEMM";

    [ThreadStatic] static PackedWeightScoring? active;

    readonly ConditionalWeakTable<Linear, PackedLinearWeight> packs = new();
    long productsComputed, packsMade;

    /// <summary>Products this cache computed packed, and weights it packed (first use or changed since): for tests and benchmarks.</summary>
    public long ProductsComputed => Interlocked.Read(ref productsComputed);
    public long PacksMade => Interlocked.Read(ref packsMade);

    /// <summary>Makes this cache the one <see cref="Project"/> uses on this thread until the returned scope is disposed.</summary>
    public Scope Activate()
    {
        var previous = active;
        if (Enabled) active = this;
        return new Scope(previous);
    }

    public readonly struct Scope(PackedWeightScoring? previous) : IDisposable
    {
        public void Dispose() => active = previous;
    }

    /// <summary><paramref name="projection"/>(x): packed when this thread is scoring and the product qualifies, else the layer's own forward.</summary>
    public static Tensor Project(nn.Module<Tensor, Tensor> projection, Tensor x) =>
        active is { } cache && projection is Linear linear && cache.TryForward(linear, x) is { } y ? y : projection.call(x);

    Tensor? TryForward(Linear linear, Tensor x)
    {
        if (is_grad_enabled() || x.dtype != ScalarType.Float32 || x.device_type != DeviceType.CPU || !x.is_contiguous()) return null;
        var weight = linear.weight;
        if (weight is null || !PackedLinearWeight.CanPack(weight) || x.size(-1) != weight.size(1)) return null;
        long rows = x.numel() / weight.size(1);
        if (rows is < 1 or > MaxRows) return null;
        var pack = packs.TryGetValue(linear, out var existing) && existing.Matches(weight) ? existing : Repack(linear, weight);
        Interlocked.Increment(ref productsComputed);
        return pack.Forward(x, linear.bias);
    }

    PackedLinearWeight Repack(Linear linear, Tensor weight)
    {
        var pack = PackedLinearWeight.Pack(weight);
        packs.AddOrUpdate(linear, pack);
        Interlocked.Increment(ref packsMade);
        return pack;
    }
}
