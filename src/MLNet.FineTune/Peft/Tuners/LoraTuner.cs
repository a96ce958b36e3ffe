using MLNet.FineTune.Modeling;

namespace MLNet.FineTune.Peft.Tuners;

/// <summary>
/// LoRA with PEFT's semantics (<see cref="LoraModel"/>): every projection is wrapped while the encoder is built, the
/// adapter (or one per task) is added on attach; its matrices train, plus biases per <see cref="LoraOptions.Bias"/> and
/// LoRA's modules_to_save.
/// </summary>
[Tuner(PeftMethod.Lora)]
internal sealed class LoraTuner : ITuner
{
    readonly PeftOptions options;
    readonly IReadOnlyList<string>? taskAdapters;

    public LoraTuner(TunerContext context)
    {
        options = context.Options;
        taskAdapters = context.TaskAdapters;
        options.Lora.Validate();
        Model = new LoraModel(context.ModelType);
    }

    public LoraModel Model { get; }
    public ProjectionFactory Projection => Model.Projection;
    public bool CountsSavedModuleCopies => true;

    public void Attach(EncoderModel encoder)
    {
        foreach (var name in taskAdapters ?? [options.AdapterName]) Model.AddAdapter(name, options.Lora);
    }

    public bool Trains(string name)
    {
        // Per-task adapters all train (each from its own task's loss), whichever is active.
        var adapters = taskAdapters ?? Model.ActiveAdapters;
        foreach (var adapter in adapters)
            if (name.Contains($".lora_A.{adapter}.") || name.Contains($".lora_B.{adapter}.")) return true;
        if (name.Contains(".lora_")) return false;
        if (name.EndsWith(".bias", StringComparison.Ordinal) && adapters.Any(a => BiasTrains(a, name))) return true;
        return IsModuleToSave(name);
    }

    const string WrappedBias = ".base_layer.bias";

    /// <summary>
    /// PEFT's rule: each active adapter's own <c>bias</c> setting decides ("all": every bias; "lora_only": the biases of
    /// the layers that adapter wraps), so an adapter loaded from a file brings its setting with it.
    /// </summary>
    bool BiasTrains(string adapter, string name) => (Model.Adapters.TryGetValue(adapter, out var o) ? o.Bias : options.Lora.Bias) switch
    {
        LoraBias.All => true,
        LoraBias.LoraOnly => name.EndsWith(WrappedBias, StringComparison.Ordinal)
            && Model.Layers.TryGetValue(name[..^WrappedBias.Length], out var layer) && layer.Adapters.Contains(adapter),
        _ => false,
    };

    /// <summary>Whether an encoder parameter belongs to a module listed in LoRA's modules_to_save.</summary>
    public bool IsModuleToSave(string parameterName)
    {
        if (options.Lora.ModulesToSave.Count == 0) return false;
        var parts = parameterName.Replace(".base_layer.", ".").Split('.');
        for (int i = parts.Length - 1; i > 0; i--) // every enclosing module path, innermost first
            if (TargetModules.MatchesList(string.Join('.', parts[..i]), options.Lora.ModulesToSave)) return true;
        return false;
    }
}
