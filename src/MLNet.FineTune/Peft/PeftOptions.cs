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
    /// <summary>Name of the LoRA adapter <see cref="PeftModel.Attach"/> adds (PEFT's "default"). Unused with <see cref="AdapterPerTask"/>.</summary>
    public string AdapterName { get; init; } = "default";

    /// <summary>
    /// AdapterHub-style multi-task training: every head gets its own adapter (LoRA, Houlsby or Pfeiffer), named after the head,
    /// on one frozen base; head h's output is computed by the encoder with adapter h active, and head h's loss trains only
    /// adapter h and head h. The base weights are shared in memory, but the encoder runs once per task and batch (as
    /// AdapterHub's Parallel composition does) instead of once per batch; single-task batches
    /// (<see cref="Training.TaskSampling.Proportional"/> or <see cref="Training.TaskSampling.RoundRobin"/>) need only one pass.
    /// Needs at least two heads, an adapter method, and (LoRA) no shared trained weights: bias "none", no modules_to_save.
    /// Default false: one adapter shared by all heads.
    /// </summary>
    public bool AdapterPerTask { get; init; }

    /// <summary>
    /// Full fine-tuning with the word-embedding table (<c>embeddings.word_embeddings.weight</c>) frozen; position and
    /// token-type embeddings, the embedding LayerNorm and every layer still train. The table is half of a MiniLM's
    /// parameters (30522 × 384 of 22.7M), so freezing it drops its dense gradient and half of AdamW's work each step;
    /// rows of words the training set never shows do not move either way. Default false (Hugging Face's default: every
    /// weight trains). What it changes on SST-2 and CoNLL-2003, speed and accuracy: docs/benchmarks.md (issue #17).
    /// Only with <see cref="PeftMethod.Full"/>: the other methods leave the word embeddings frozen already.
    /// </summary>
    public bool FreezeWordEmbeddings { get; init; }

    /// <summary>The encoder parameter <see cref="FreezeWordEmbeddings"/> freezes (the Hugging Face name, in every encoder family).</summary>
    internal const string WordEmbeddingsWeight = "embeddings.word_embeddings.weight";

    /// <summary>Checks the chosen method's settings (by building its tuner, which validates them) and <see cref="AdapterPerTask"/>.</summary>
    /// <param name="headCount">Number of task heads the model has.</param>
    internal void Validate(int headCount)
    {
        ValidateAdapterPerTask(headCount);
        if (FreezeWordEmbeddings && Method != PeftMethod.Full)
            throw new ArgumentException($"PeftOptions.FreezeWordEmbeddings applies to full fine-tuning (Method = Full); with Method = {Method} the word embeddings are frozen already. Leave it false.", nameof(FreezeWordEmbeddings));
        _ = Tuners.TunerRegistry.Create(new Tuners.TunerContext(this, "bert", AdapterPerTask ? Enumerable.Range(0, headCount).Select(i => "task" + i).ToList() : null));
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming <see cref="AdapterPerTask"/> when it is set but cannot apply.</summary>
    /// <param name="headCount">Number of task heads the model has.</param>
    public void ValidateAdapterPerTask(int headCount)
    {
        if (!AdapterPerTask) return;
        if (Method is not (PeftMethod.Lora or PeftMethod.Houlsby or PeftMethod.Pfeiffer))
            throw new ArgumentException($"PeftOptions.AdapterPerTask needs an adapter method (Lora, Houlsby or Pfeiffer); got Method = {Method}.", nameof(AdapterPerTask));
        if (headCount < 2)
            throw new ArgumentException($"PeftOptions.AdapterPerTask needs at least 2 task heads (FineTuneOptions.Heads); got {headCount}.", nameof(AdapterPerTask));
        if (Method == PeftMethod.Lora && (Lora.Bias != LoraBias.None || Lora.ModulesToSave.Count > 0))
            throw new ArgumentException("PeftOptions.AdapterPerTask keeps every task's trained weights separate, so LoraOptions.Bias must be None and " +
                $"LoraOptions.ModulesToSave empty (they would be shared by all tasks); got Bias = {Lora.Bias}, ModulesToSave = [{string.Join(", ", Lora.ModulesToSave)}].", nameof(AdapterPerTask));
    }
}
