using MLNet.FineTune.Modeling.Decoding;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>A batch for causal-LM training: ids, attention mask and labels (−100 where not trained), all (B, T).</summary>
internal sealed record CausalLmBatch(Tensor InputIds, Tensor AttentionMask, Tensor Labels);

/// <summary>
/// A decoder as <see cref="Trainer{TBatch}"/> trains it: full fine-tuning, or LoRA when only the adapters'
/// parameters require gradients (the trainer's groups keep trainable parameters only). Padding is right-hand here
/// with default positions, as transformers' training forward uses.
/// </summary>
internal sealed class CausalLmTrainingModel(ICausalLanguageModel model) : ITrainableModel<CausalLmBatch>
{
    public nn.Module Module => model.Module;

    public Tensor ComputeLoss(CausalLmBatch batch) =>
        CausalLmLoss.Compute(model.Logits(new DecoderInput(batch.InputIds, batch.AttentionMask)), batch.Labels);
}
