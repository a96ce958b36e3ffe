using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.WeightPacking;

/// <summary>
/// Scoring with a model's weights in MKL's packed layout. A scorer (or a text generator) owns one
/// <see cref="PackedWeightScoring"/> and wraps each forward pass in <see cref="Activate"/>; the encoders and decoders compute
/// their projections through <see cref="Project"/>, which takes the packed product when this thread is scoring, gradients
/// are off, the layer is a plain <see cref="Linear"/> (a LoRA or adapter layer's base included) and the product has at
/// most <see cref="MaxRows"/> rows: single sentences, short batches and decoding steps, where libtorch's linear is slowest
/// (a 15-token sentence: its 36 weight products in 0.68× the time). Larger products gain ≤ 5% and keep libtorch's
/// linear. Training never sees packs: it runs with gradients on and outside any scorer.
/// <para>Each layer is packed the first time it is used, and again whenever its weight changed
/// (<see cref="PackedLinearWeight.Matches"/>). Results equal libtorch's linear to rounding (≤ 2e-6 relative).
/// A pack is a second copy of its weight, so one owner packs at most <see cref="DefaultBudgetMiB"/> MiB of weights (the
/// first layers used; the rest keep libtorch's linear). MLNET_FINETUNE_PACKED_WEIGHTS=off turns packing off for the
/// process, a number sets the budget in MiB.</para>
/// </summary>
internal sealed class PackedWeightScoring
{
    public const string Variable = "MLNET_FINETUNE_PACKED_WEIGHTS";

    /// <summary>Rows (tokens of a padding-free batch, batch × length of a padded one) up to which the packed product is used.</summary>
    public const int MaxRows = 64;

    /// <summary>MiB of weights one owner packs at most, unless the variable says otherwise: all of BERT-base's or GPT-2's
    /// projections (340 MB), the first ~third of a 1B-parameter decoder's.</summary>
    public const long DefaultBudgetMiB = 1024;

    static readonly (long BudgetMiB, string Note) Setting = ReadSetting(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Whether packed scoring can run in this process: MKL's packed GEMM is exported and the variable does not say off.</summary>
    public static bool Enabled { get; } = Setting.BudgetMiB > 0 && MklPackedGemm.Available;

    /// <summary>What scoring does in this process, in words (for <c>mlnet-finetune env</c>).</summary>
    public static string State => !MklPackedGemm.Available ? "unavailable: this libtorch exports no MKL packed GEMM"
        : Enabled ? $"on: MKL packed weights for products of up to {MaxRows} rows, at most {Setting.BudgetMiB} MiB of weights per model{Setting.Note}"
        : $"off ({Variable}=off)";

    /// <summary>off or 0 → 0; empty or on → the default; a whole number → that many MiB; anything else → the default, said in the note.</summary>
    internal static (long BudgetMiB, string Note) ReadSetting(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "on" => (DefaultBudgetMiB, ""),
        "off" or "0" => (0, ""),
        var v when long.TryParse(v, out var mib) && mib > 0 => (mib, $" ({Variable}={mib})"),
        _ => (DefaultBudgetMiB, $" ({Variable}='{value}' is not off, on or a number of MiB: the default is used)"),
    };

    [ThreadStatic] static PackedWeightScoring? active;

    readonly ConditionalWeakTable<Linear, PackedLinearWeight> packs = new();
    readonly long budgetBytes;
    long packedBytes, productsComputed, packsMade;

    /// <param name="budgetMiB">MiB of weights this owner packs at most; the process's setting when null.</param>
    public PackedWeightScoring(long? budgetMiB = null) => budgetBytes = (budgetMiB ?? Setting.BudgetMiB) << 20;

    /// <summary>Bytes of weights packed now.</summary>
    public long PackedBytes => Interlocked.Read(ref packedBytes);

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
        var pack = packs.TryGetValue(linear, out var current) && current.Matches(weight) ? current : Pack(linear, weight);
        if (pack is null) return null;
        Interlocked.Increment(ref productsComputed);
        return pack.Forward(x, linear.bias);
    }

    /// <summary>Packs this layer's weight, first time or changed since (replacing the stale pack); null when it would pass the budget.</summary>
    PackedLinearWeight? Pack(Linear linear, Tensor weight)
    {
        lock (packs)
        {
            packs.TryGetValue(linear, out var stale);
            if (stale is not null && stale.Matches(weight)) return stale; // another thread packed it meanwhile
            long added = PackedLinearWeight.WeightBytes(weight) - (stale?.Bytes ?? 0);
            if (Interlocked.Read(ref packedBytes) + added > budgetBytes) return null;
            var pack = PackedLinearWeight.Pack(weight);
            packs.AddOrUpdate(linear, pack);
            Interlocked.Add(ref packedBytes, added);
            Interlocked.Increment(ref packsMade);
            return pack;
        }
    }
}
