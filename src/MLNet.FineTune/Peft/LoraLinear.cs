using MLNet.FineTune.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using MLNet.FineTune.Modeling.WeightPacking;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft;

/// <summary>
/// A linear projection with LoRA adapters by name (peft/tuners/lora/layer.py, Linear): it wraps the original layer,
/// registered as <c>base_layer</c>, and computes <c>base(x) + Σ_active B(A(dropout(x))) · scaling</c>. A is
/// kaiming-uniform (a = √5) and B zero, so a new adapter changes nothing until trained. Parameters are named as PEFT's:
/// <c>base_layer.weight</c>, <c>lora_A.&lt;adapter&gt;.weight</c>, <c>lora_B.&lt;adapter&gt;.weight</c>.
/// With no adapter it is exactly its base layer.
/// </summary>
internal sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    readonly Linear base_layer;
    readonly AdapterSlots lora_dropout = new(), lora_A = new(), lora_B = new();
    readonly Dictionary<string, double> scaling = new();
    readonly List<string> merged = new();
    List<string> active = new() { "default" };

    public LoraLinear(string path, Linear baseLayer) : base(nameof(LoraLinear))
    {
        Path = path; base_layer = baseLayer;
        RegisterComponents();
    }

    /// <summary>The Hugging Face dotted path of the wrapped projection.</summary>
    public string Path { get; }
    public Linear BaseLayer => base_layer;
    public long InFeatures => base_layer.weight!.shape[1];
    public long OutFeatures => base_layer.weight!.shape[0];
    public IReadOnlyCollection<string> Adapters => lora_A.Names;
    public IReadOnlyList<string> ActiveAdapters => active;
    /// <summary>Adapters currently added into the base weight, in merge order.</summary>
    public IReadOnlyList<string> MergedAdapters => merged;
    /// <summary>When true the layer computes its base projection only (merged adapters are unmerged first).</summary>
    public bool AdaptersDisabled { get; set; }

    public Linear LoraA(string adapter) => (Linear)lora_A[adapter];
    public Linear LoraB(string adapter) => (Linear)lora_B[adapter];
    public double Scaling(string adapter) => scaling[adapter];

    /// <summary>Adds an adapter (PEFT update_layer). The random draws follow PEFT's order, so equal seeds give equal A.</summary>
    public void AddAdapter(string name, int rank, double alpha, double dropout, bool useRslora, bool initLoraWeights)
    {
        if (rank <= 0) throw new ArgumentException($"{Path}: LoRA rank must be positive, got {rank}.");
        var device = base_layer.weight!.device;
        var a = nn.Linear(InFeatures, rank, hasBias: false, device: device);
        var b = nn.Linear(rank, OutFeatures, hasBias: false, device: device);
        if (initLoraWeights)
        {
            using var _ = no_grad();
            nn.init.kaiming_uniform_(a.weight!, a: Math.Sqrt(5));
            nn.init.zeros_(b.weight!);
        }
        lora_dropout.Add(name, dropout > 0 ? new VectorizedDropout(dropout) : nn.Identity());
        lora_A.Add(name, a);
        lora_B.Add(name, b);
        scaling[name] = useRslora ? alpha / Math.Sqrt(rank) : alpha / rank;
    }

    /// <summary>Removes an adapter, subtracting it from the base weight first if it was merged.</summary>
    public void RemoveAdapter(string name)
    {
        if (!lora_A.Contains(name)) return;
        if (merged.Contains(name)) Unmerge();
        lora_dropout.Remove(name); lora_A.Remove(name); lora_B.Remove(name);
        scaling.Remove(name);
        active.Remove(name);
    }

    /// <summary>Which adapters the forward pass adds (names this layer does not hold are skipped, as PEFT does).</summary>
    public void SetActiveAdapters(IEnumerable<string> names) => active = names.ToList();

    /// <summary>B·A·scaling, shaped like the base weight (out, in).</summary>
    public Tensor DeltaWeight(string adapter)
    {
        using var _ = no_grad();
        return LoraB(adapter).weight!.matmul(LoraA(adapter).weight!).mul(scaling[adapter]);
    }

    /// <summary>
    /// Adds the given (default: active, not yet merged) adapters into the base weight. The merged weight is checked
    /// for NaN/Inf before it replaces the base weight, so a broken adapter leaves the layer untouched.
    /// </summary>
    public void Merge(IEnumerable<string>? adapters = null)
    {
        using var _ = no_grad();
        foreach (var name in (adapters ?? active).Where(n => lora_A.Contains(n) && !merged.Contains(n)).ToList())
        {
            using var delta = DeltaWeight(name);
            using var candidate = base_layer.weight! + delta;
            if (!isfinite(candidate).all().item<bool>())
                throw new InvalidOperationException($"{Path}: NaNs or infinities detected in the merged weights. The adapter '{name}' seems to be broken; the base weight was left unchanged.");
            base_layer.weight!.copy_(candidate);
            merged.Add(name);
        }
    }

    /// <summary>Subtracts every merged adapter from the base weight, last merged first.</summary>
    public void Unmerge()
    {
        using var _ = no_grad();
        for (int i = merged.Count - 1; i >= 0; i--)
        {
            using var delta = DeltaWeight(merged[i]);
            base_layer.weight!.sub_(delta);
        }
        merged.Clear();
    }

    /// <summary>Makes the merged adapters part of the base weight for good (merge-and-unload): they are no longer tracked, so removing them keeps the weight.</summary>
    internal void KeepMergedWeights() => merged.Clear();

    /// <param name="x">(…, in)</param> <returns>(…, out)</returns>
    public override Tensor forward(Tensor x)
    {
        if (AdaptersDisabled)
        {
            if (merged.Count > 0) Unmerge();
            return PackedWeightScoring.Project(base_layer, x);
        }
        var taskAdapter = TaskAdapterScope.Current;
        if (merged.Count > 0)
        {
            if (taskAdapter is not null)
                throw new InvalidOperationException($"{Path}: adapters are merged into the base weight; unmerge them before computing with per-task adapter '{taskAdapter}'.");
            return PackedWeightScoring.Project(base_layer, x);
        }
        using var scope = NewDisposeScope();
        var result = PackedWeightScoring.Project(base_layer, x);
        // A per-task adapter chosen on this thread replaces the active set (a layer it does not target adds nothing).
        foreach (var name in taskAdapter is null ? active : [taskAdapter])
        {
            if (!lora_A.Contains(name)) continue;
            var update = lora_B[name].call(lora_A[name].call(lora_dropout[name].call(x)));
            result = result.PlusScaled(update, scaling[name]);
        }
        return result.MoveToOuterDisposeScope();
    }
}
