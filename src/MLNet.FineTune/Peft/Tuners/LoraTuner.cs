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
        var lora = options.Lora;
        // Per-task adapters all train (each from its own task's loss), whichever is active.
        foreach (var adapter in taskAdapters ?? Model.ActiveAdapters)
            if (name.Contains($".lora_A.{adapter}.") || name.Contains($".lora_B.{adapter}.")) return true;
        if (name.Contains(".lora_")) return false;
        if (lora.Bias == LoraBias.All && name.EndsWith(".bias", StringComparison.Ordinal)) return true;
        if (lora.Bias == LoraBias.LoraOnly && name.EndsWith(".base_layer.bias", StringComparison.Ordinal)
            && Model.Layers.TryGetValue(name[..^".base_layer.bias".Length], out var layer) && layer.Adapters.Count > 0) return true;
        return IsModuleToSave(name);
    }

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
