namespace MLNet.FineTune.Peft;

/// <summary>One place for the fine-tuning method and its settings; defaults are PEFT's. Never mutated by the library.</summary>
public sealed record PeftOptions
{
    public PeftMethod Method { get; init; } = PeftMethod.Full;
    /// <summary>Used when <see cref="Method"/> is <see cref="PeftMethod.Lora"/>.</summary>
    public LoraOptions Lora { get; init; } = new();
    /// <summary>Used when <see cref="Method"/> is Houlsby or Pfeiffer.</summary>
    public BottleneckOptions Bottleneck { get; init; } = new();
    /// <summary>Used when <see cref="Method"/> is <see cref="PeftMethod.PromptTuning"/>.</summary>
    public PromptTuningOptions PromptTuning { get; init; } = new();
    /// <summary>Name of the LoRA adapter <see cref="PeftModel.Attach"/> adds (PEFT's "default").</summary>
    public string AdapterName { get; init; } = "default";
}
