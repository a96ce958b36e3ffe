using MLNet.FineTune.Modeling.Decoding;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>
/// A batch for causal-LM training: ids, attention mask and labels (−100 where not trained), all (B, T). Rows that pack
/// several examples also carry <paramref name="PositionIds"/> (restarting at 0 per example) and
/// <paramref name="SequenceIds"/> (which example each token is in; see <see cref="DecoderInput"/>); null otherwise.
/// </summary>
internal sealed record CausalLmBatch(Tensor InputIds, Tensor AttentionMask, Tensor Labels, Tensor? PositionIds = null, Tensor? SequenceIds = null);

/// <summary>
/// A decoder as <see cref="Trainer{TBatch}"/> trains it: full fine-tuning, or LoRA when only the adapters'
/// parameters require gradients (the trainer's groups keep trainable parameters only). Padding is right-hand here
/// with default positions, as transformers' training forward uses.
/// </summary>
internal sealed class CausalLmTrainingModel(ICausalLanguageModel model) : ITrainableModel<CausalLmBatch>
{
    public nn.Module Module => model.Module;

    public Tensor ComputeLoss(CausalLmBatch batch) =>
        CausalLmLoss.Compute(model.Logits(new DecoderInput(batch.InputIds, batch.AttentionMask, batch.PositionIds, SequenceIds: batch.SequenceIds)), batch.Labels);
}
