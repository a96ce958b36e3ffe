namespace MLNet.FineTune.Peft;

/// <summary>
/// Which encoder biases train under LoRA, decided as PEFT does: by each active adapter's own <c>bias</c> setting
/// ("all": every bias; "lora_only": the biases of the layers that adapter wraps; "none": none), unioned.
/// <see cref="PeftModel.RefreshTrainable"/> reads only the model's <see cref="PeftOptions.Lora"/>, so an adapter loaded
/// from a file (<see cref="LoraAdapterFile.Load"/>) brings its setting through here.
/// </summary>
internal static class LoraBiasTraining
{
    const string WrappedBias = ".base_layer.bias";

    /// <summary>Sets requires_grad on every encoder bias (modules_to_save keep training) from the adapters' settings.</summary>
    public static void Apply(PeftModel model)
    {
        var lora = model.Lora ?? throw new InvalidOperationException("LoRA bias settings need a model built for LoRA.");
        var adapters = (model.TaskAdapters ?? lora.ActiveAdapters).Where(lora.Adapters.ContainsKey).ToList();
        foreach (var (name, p) in model.Encoder.named_parameters())
        {
            if (!name.EndsWith(".bias", StringComparison.Ordinal) || model.IsEncoderModuleToSave(name)) continue;
            p.requires_grad = adapters.Any(a => Trains(lora, a, name));
        }
    }

    static bool Trains(LoraModel lora, string adapter, string name) => lora.Adapters[adapter].Bias switch
    {
        LoraBias.All => true,
        LoraBias.LoraOnly => name.EndsWith(WrappedBias, StringComparison.Ordinal)
            && lora.Layers.TryGetValue(name[..^WrappedBias.Length], out var layer) && layer.Adapters.Contains(adapter),
        _ => false,
    };
}
