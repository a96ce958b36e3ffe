namespace MLNet.FineTune.Modeling;

/// <summary>
/// A named pretrained base model that a package ships (MLNet.FineTune.Pretrained: <c>PretrainedModels.AllMiniLmL6V2</c>,
/// <c>PretrainedModels.ArcticEmbedXs</c>), resolved to a local Hugging Face-style folder on first use. Set it as
/// <see cref="FineTuneOptions.BaseModel"/>; its name, licence and pooling go into the model card, and
/// <see cref="HubId"/> becomes the <c>base_model_name_or_path</c> of exported PEFT adapters.
/// </summary>
public abstract class PretrainedModel
{
    /// <summary>Short name, e.g. "all-MiniLM-L6-v2".</summary>
    public abstract string Name { get; }

    /// <summary>The Hugging Face Hub id of the same weights, e.g. "sentence-transformers/all-MiniLM-L6-v2".</summary>
    public abstract string HubId { get; }

    /// <summary>Licence of the weights (SPDX id), e.g. "Apache-2.0".</summary>
    public abstract string License { get; }

    /// <summary>How the model was trained to pool token states into a sentence embedding: "mean" or "cls".</summary>
    public abstract string Pooling { get; }

    /// <summary>Whether its sentence embeddings are L2-normalised.</summary>
    public virtual bool Normalize => true;

    /// <summary>
    /// A folder holding the model (config.json, tokenizer files, weights), created on first use and reused after:
    /// offline, safe when several processes ask at once.
    /// </summary>
    public abstract string GetFolder();

    public override string ToString() => $"{Name} ({HubId}, {License})";
}
