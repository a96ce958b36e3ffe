using TorchSharp;
using MLNet.FineTune.Modeling.WeightPacking;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Bert;

/// <summary>
/// <c>LayerNorm(dropout(dense(x)) + residual)</c>: BertSelfOutput and BertOutput in modeling_bert.py (post-LN).
/// Keys: <c>dense.*</c>, <c>LayerNorm.*</c>.
/// </summary>
internal sealed class DenseResidualLayerNorm : nn.Module<Tensor, Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> dense;
    readonly nn.Module<Tensor, Tensor> layerNorm;
    readonly nn.Module<Tensor, Tensor> dropout;

    public DenseResidualLayerNorm(TransformerConfig config, string path, long inFeatures, ProjectionFactory projection) : base(nameof(DenseResidualLayerNorm))
    {
        dense = projection($"{path}.dense", inFeatures, config.HiddenSize);
        layerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = new VectorizedDropout(config.HiddenDropout);
        register_module("dense", dense);
        register_module("LayerNorm", layerNorm);
        register_module("dropout", dropout);
    }

    public override Tensor forward(Tensor x, Tensor residual)
    {
        using var scope = NewDisposeScope();
        return layerNorm.call(dropout.call(PackedWeightScoring.Project(dense, x)).Plus(residual)).MoveToOuterDisposeScope();
    }
}
