using MLNet.FineTune.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft;

/// <summary>
/// Named LoRA adapters on one encoder (PEFT's LoraModel). Build the encoder through <see cref="Projection"/>: it wraps
/// every projection in a <see cref="LoraLinear"/> (a pass-through until an adapter is added), so adapters with any
/// target modules can be added, switched, disabled and removed later without rebuilding or reloading the base.
/// </summary>
internal sealed class LoraModel
{
    readonly Dictionary<string, LoraLinear> layers = new();
    readonly List<string> order = new();
    readonly Dictionary<string, LoraOptions> adapters = new();
    List<string> active = new();
    bool disabled;

    public LoraModel(string modelType)
    {
        ModelType = modelType;
        Projection = (path, inFeatures, outFeatures) => Wrap(path, nn.Linear(inFeatures, outFeatures));
        DecoderProjection = (path, inFeatures, outFeatures, hasBias) => Wrap(path, nn.Linear(inFeatures, outFeatures, hasBias));
    }

    LoraLinear Wrap(string path, TorchSharp.Modules.Linear baseLayer)
    {
        if (layers.ContainsKey(path))
            throw new InvalidOperationException($"Projection '{path}' was already built: use one LoraModel per model.");
        var layer = new LoraLinear(path, baseLayer);
        layer.SetActiveAdapters(active);
        layers.Add(path, layer);
        order.Add(path);
        return layer;
    }

    /// <summary>Pass to <see cref="Modeling.Decoding.DecoderFactory.Create"/> or <see cref="Modeling.Decoding.PretrainedDecoder.Load"/> (decoders).</summary>
    public Modeling.Decoding.DecoderProjectionFactory DecoderProjection { get; }

    /// <summary>The <c>model_type</c> of the encoder (picks PEFT's default target modules).</summary>
    public string ModelType { get; }
    /// <summary>Pass to <see cref="EncoderFactory.Create"/> or <see cref="PretrainedEncoder.Load"/>.</summary>
    public ProjectionFactory Projection { get; }
    /// <summary>Every wrapped projection by Hugging Face path, in construction order.</summary>
    public IReadOnlyDictionary<string, LoraLinear> Layers => layers;
    public IReadOnlyDictionary<string, LoraOptions> Adapters => adapters;
    public IReadOnlyList<string> ActiveAdapters => active;
    public bool AdaptersDisabled => disabled;

    /// <summary>The paths of the layers holding <paramref name="adapter"/>, in construction order.</summary>
    public IReadOnlyList<string> TargetsOf(string adapter) => order.Where(p => layers[p].Adapters.Contains(adapter)).ToList();

    /// <summary>
    /// Adds an adapter to every targeted projection and, if it is the first, makes it active (PEFT's add_adapter).
    /// Returns the wrapped paths. Throws when nothing matches, naming the targets and the available modules.
    /// </summary>
    public IReadOnlyList<string> AddAdapter(string name, LoraOptions options)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Contains('.')) throw new ArgumentException($"Adapter name '{name}' must be non-empty and contain no '.'.");
        if (adapters.ContainsKey(name)) throw new ArgumentException($"An adapter named '{name}' already exists; remove it first.");
        options.Validate();
        if (layers.Count == 0) throw new InvalidOperationException("No projection was built through LoraModel.Projection; build the encoder with it first.");
        var targets = order.Where(p => TargetModules.IsTargeted(options, p, ModelType)).ToList();
        if (targets.Count == 0)
            throw new ArgumentException($"Target modules {Describe(options)} not found in the base model. Available projections end with: " +
                string.Join(", ", order.Select(p => p[(p.LastIndexOf('.') + 1)..]).Distinct()) + ".");
        AddAdapterTo(name, options, targets);
        return targets;
    }

    /// <summary>Adds an adapter to exactly the given projections (an adapter file's keys say which).</summary>
    internal void AddAdapterTo(string name, LoraOptions options, IReadOnlyList<string> targets)
    {
        if (adapters.ContainsKey(name)) throw new ArgumentException($"An adapter named '{name}' already exists; remove it first.");
        foreach (var path in targets)
            if (!layers.ContainsKey(path)) throw new ArgumentException($"The base model has no projection '{path}'.");
        foreach (var path in targets)
            layers[path].AddAdapter(name, options.Rank, options.Alpha, options.Dropout, options.UseRslora, options.InitLoraWeights);
        adapters.Add(name, options);
        if (active.Count == 0) SetActiveAdapters(name);
    }

    /// <summary>Makes the named adapters the ones the forward pass adds (one name: PEFT's set_adapter).</summary>
    public void SetActiveAdapters(params string[] names)
    {
        foreach (var n in names)
            if (!adapters.ContainsKey(n)) throw new ArgumentException($"No adapter named '{n}'; have: {string.Join(", ", adapters.Keys)}.");
        active = names.ToList();
        foreach (var layer in layers.Values) layer.SetActiveAdapters(active);
    }

    /// <summary>Base model only (true) or the active adapters (false); merged adapters are unmerged on the next forward.</summary>
    public void SetAdaptersDisabled(bool value)
    {
        disabled = value;
        foreach (var layer in layers.Values) layer.AdaptersDisabled = value;
    }

    /// <summary>Runs the base model without adapters until disposed (PEFT's disable_adapter context).</summary>
    public IDisposable DisableAdapters()
    {
        var was = disabled;
        SetAdaptersDisabled(true);
        return new Restore(() => SetAdaptersDisabled(was));
    }

    /// <summary>Deletes an adapter everywhere (unmerging it first if merged); the base stays loaded.</summary>
    public void DeleteAdapter(string name)
    {
        if (!adapters.Remove(name)) throw new ArgumentException($"No adapter named '{name}'.");
        foreach (var layer in layers.Values) layer.RemoveAdapter(name);
        SetActiveAdapters(active.Where(a => a != name).ToArray());
    }

    /// <summary>Adds the given (default: active) adapters into the base weights.</summary>
    public void Merge(params string[] names)
    {
        var which = names.Length > 0 ? names : active.ToArray();
        foreach (var layer in layers.Values) layer.Merge(which);
    }

    public void Unmerge()
    {
        foreach (var layer in layers.Values) layer.Unmerge();
    }

    /// <summary>
    /// Merges the active adapters and deletes every adapter: the encoder then computes with plain merged weights,
    /// and <see cref="PlainStateDict"/> gives them under plain Hugging Face names.
    /// </summary>
    public void MergeAndUnload()
    {
        Merge();
        foreach (var layer in layers.Values) layer.KeepMergedWeights();
        foreach (var name in adapters.Keys.ToList()) DeleteAdapter(name);
    }

    /// <summary>The encoder's parameters under Hugging Face names (no <c>.base_layer</c>, no adapters): a plain checkpoint.</summary>
    public static Dictionary<string, Tensor> PlainStateDict(EncoderModel encoder) =>
        encoder.named_parameters().Where(p => !p.name.Contains(".lora_"))
            .ToDictionary(p => p.name.Replace(".base_layer.", "."), p => (Tensor)p.parameter);

    static string Describe(LoraOptions o) => o.TargetModulesPattern is { } p ? $"'{p}'" : "[" + string.Join(", ", o.TargetModules ?? Array.Empty<string>()) + "]";

    sealed class Restore(Action undo) : IDisposable { public void Dispose() => undo(); }
}
