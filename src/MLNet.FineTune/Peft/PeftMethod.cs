namespace MLNet.FineTune.Peft;

/// <summary>Which parameters a fine-tuning run trains, and what (if anything) is added to the encoder to train.</summary>
public enum PeftMethod
{
    /// <summary>Every encoder and head parameter is trained.</summary>
    Full,
    /// <summary>The encoder is frozen; only the task head is trained.</summary>
    HeadOnly,
    /// <summary>BitFit (Ben Zaken et al. 2022): only the encoder's bias terms and the head are trained.</summary>
    BitFit,
    /// <summary>LoRA (Hu et al. 2021) with Hugging Face PEFT's semantics; see <see cref="LoraOptions"/>.</summary>
    Lora,
    /// <summary>Houlsby bottleneck adapters after the attention output and the feed-forward output projections.</summary>
    Houlsby,
    /// <summary>Pfeiffer bottleneck adapters after the feed-forward output projection only.</summary>
    Pfeiffer,
    /// <summary>Prompt tuning (Lester et al. 2021): learned virtual tokens prepended to the word embeddings.</summary>
    PromptTuning,
}

/// <summary>PEFT's <c>bias</c> option: which biases train beside the LoRA matrices (and are saved with the adapter).</summary>
public enum LoraBias
{
    /// <summary>"none": no bias trains.</summary>
    None,
    /// <summary>"all": every bias of the model trains.</summary>
    All,
    /// <summary>"lora_only": only the biases of layers that carry a LoRA adapter train.</summary>
    LoraOnly,
}
