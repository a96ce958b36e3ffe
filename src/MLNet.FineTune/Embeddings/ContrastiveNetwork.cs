using MLNet.FineTune.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Embeddings;

/// <summary>Which contrastive loss trains the encoder, with its settings (see <see cref="ContrastiveLosses"/>).</summary>
internal sealed record ContrastiveObjective(ContrastiveLoss Loss, double Scale, bool Symmetric, double Margin)
{
    /// <summary>Whether the loss reads a per-pair target (a score or a 0/1 label).</summary>
    public bool NeedsTargets => Loss != ContrastiveLoss.MultipleNegativesRanking;
}

/// <summary>
/// A sentence-embedding encoder in training: encoder (built through the PEFT method's projection factory, so LoRA wraps its
/// projections), pooling of the real tokens (<see cref="TextEmbeddingScorer.Pool"/>) and a contrastive loss on the two
/// sides of a batch of pairs. The encoder is registered under its model type (<c>bert.</c>, …) as in TaskNetwork.
/// </summary>
internal sealed class ContrastiveNetwork : nn.Module, ITrainableModel<ContrastiveBatch>
{
    readonly EncoderModel encoder;

    public ContrastiveNetwork(EncoderModel encoder, PeftModel peft, EmbeddingPooling pooling, ContrastiveObjective objective) : base(nameof(ContrastiveNetwork))
    {
        this.encoder = encoder;
        Peft = peft; Pooling = pooling; Objective = objective;
        register_module(encoder.Config.ModelType, encoder);
        peft.Attach(encoder); // no head: only the method's own parameters (or all, for full fine-tuning) train
    }

    /// <summary>
    /// The encoder with the package's pretrained weights and <paramref name="peftOptions"/> applied. Holds torch's global
    /// generator while building (LoRA's initial A matrices are random), as TaskNetworkBuilder does.
    /// </summary>
    public static ContrastiveNetwork Build(ModelPackage package, PeftOptions peftOptions, EmbeddingPooling pooling, ContrastiveObjective objective) =>
        TorchRandomStream.Exclusive(() =>
        {
            var folder = package.BaseFolder ?? throw new InvalidOperationException("Contrastive fine-tuning starts from a pretrained encoder (BaseModel or BaseModelFolder).");
            var peft = new PeftModel(peftOptions, package.Config.ModelType);
            var loaded = PretrainedEncoder.Load(folder, peft.Projection, peft.IsAddedByProjection, package.Config);
            foreach (var t in loaded.HeadTensors.Values) t.Dispose(); // a classifier head the checkpoint may carry plays no part in embeddings
            return new ContrastiveNetwork(loaded.Encoder, peft, pooling, objective);
        });

    public EncoderModel Encoder => encoder;
    public PeftModel Peft { get; }
    public EmbeddingPooling Pooling { get; }
    public ContrastiveObjective Objective { get; }

    nn.Module ITrainableModel<ContrastiveBatch>.Module => this;

    /// <summary>Pooled sentence vectors (B, H) of a padded batch, not normalised (the losses compare by cosine).</summary>
    public Tensor Embed(TextBatch batch)
    {
        using var output = encoder.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
        return TextEmbeddingScorer.Pool(output.LastHiddenState, batch.AttentionMask, Pooling);
    }

    public Tensor ComputeLoss(ContrastiveBatch batch) => Loss(Embed(batch.First), Embed(batch.Second), batch.Targets);

    /// <summary>The objective's loss on the two sides' pooled vectors.</summary>
    public Tensor Loss(Tensor first, Tensor second, Tensor? targets)
    {
        var o = Objective;
        if (o.NeedsTargets && targets is null) throw new ArgumentNullException(nameof(targets), $"{o.Loss} needs a target per pair.");
        return o.Loss switch
        {
            ContrastiveLoss.MultipleNegativesRanking => ContrastiveLosses.MultipleNegativesRanking(first, second, o.Scale, o.Symmetric),
            ContrastiveLoss.CoSent => ContrastiveLosses.CoSent(first, second, targets!, o.Scale),
            ContrastiveLoss.CosineSimilarity => ContrastiveLosses.CosineSimilarity(first, second, targets!),
            ContrastiveLoss.Contrastive => ContrastiveLosses.Contrastive(first, second, targets!, o.Margin),
            _ => throw new ArgumentOutOfRangeException(nameof(Objective), o.Loss, "Unknown contrastive loss."),
        };
    }

    /// <summary>
    /// The trained weights under plain Hugging Face names in a new plain encoder (LoRA merged into the weights first): what
    /// an embedding model saves and loads, with no adapter tensors. This network's encoder is left merged and adapter-free.
    /// </summary>
    public EncoderModel ToPlainEncoder()
    {
        using var _ = no_grad();
        Peft.Lora?.MergeAndUnload();
        return PlainEncoderCopy.Create(encoder.Config, LoraModel.PlainStateDict(encoder), "fine-tuned encoder");
    }
}
