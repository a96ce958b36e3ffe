using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>What the training loop needs from a model: its module and a loss for one batch.</summary>
/// <typeparam name="TBatch">The batch type produced by the matching <see cref="IBatchSource{TBatch}"/>.</typeparam>
internal interface ITrainableModel<in TBatch>
{
    /// <summary>The whole network (encoder + head); its trainable parameters are optimized and checkpointed.</summary>
    nn.Module Module { get; }

    /// <summary>
    /// Forward pass in training mode and the scalar mean loss of the batch. Called inside the step's dispose scope,
    /// so intermediates need no disposal; the loop scales the loss for gradient accumulation and calls backward.
    /// </summary>
    Tensor ComputeLoss(TBatch batch);

    /// <summary>
    /// Optimizer groups; the default is <see cref="ParameterGroups.ForTransformer(nn.Module, double)"/>
    /// (no decay on biases and LayerNorm weights). Override for per-group learning rates.
    /// </summary>
    IReadOnlyList<ParameterGroup> CreateParameterGroups(double weightDecay) => ParameterGroups.ForTransformer(Module, weightDecay);
}
