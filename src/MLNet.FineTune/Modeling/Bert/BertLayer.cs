using TorchSharp;
using MLNet.FineTune.Modeling.WeightPacking;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Bert;

/// <summary>
/// One transformer block of BERT/RoBERTa (BertLayer in modeling_bert.py): self-attention, then the feed-forward block,
/// each followed by residual + LayerNorm. Keys under <c>encoder.layer.N.</c>: <c>attention.self.{query,key,value}</c>,
/// <c>attention.output.{dense,LayerNorm}</c>, <c>intermediate.dense</c>, <c>output.{dense,LayerNorm}</c>.
/// </summary>
internal sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    readonly BertAttention attention;
    readonly BertIntermediate intermediate;
    readonly DenseResidualLayerNorm output;

    public BertLayer(TransformerConfig config, string path, ProjectionFactory projection) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config, $"{path}.attention", projection);
        intermediate = new BertIntermediate(config, $"{path}.intermediate", projection);
        output = new DenseResidualLayerNorm(config, $"{path}.output", config.IntermediateSize, projection);
        RegisterComponents();
    }

    /// <param name="x">(B, T, H)</param> <param name="additiveMask">(B, 1, 1, T)</param>
    public override Tensor forward(Tensor x, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.call(x, additiveMask);              // (B, T, H)
        var hidden = output.call(intermediate.call(attended), attended); // (B, T, H)
        return hidden.MoveToOuterDisposeScope();
    }

    sealed class BertAttention : nn.Module<Tensor, Tensor, Tensor>
    {
        readonly MultiHeadSelfAttention self;
        readonly DenseResidualLayerNorm output;

        public BertAttention(TransformerConfig config, string path, ProjectionFactory projection) : base(nameof(BertAttention))
        {
            self = new MultiHeadSelfAttention(config, $"{path}.self", projection);
            output = new DenseResidualLayerNorm(config, $"{path}.output", config.HiddenSize, projection);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x, Tensor additiveMask)
        {
            using var scope = NewDisposeScope();
            return output.call(self.call(x, additiveMask), x).MoveToOuterDisposeScope();
        }
    }

    sealed class BertIntermediate : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> dense;
        readonly Func<Tensor, Tensor> activation;

        public BertIntermediate(TransformerConfig config, string path, ProjectionFactory projection) : base(nameof(BertIntermediate))
        {
            dense = projection($"{path}.dense", config.HiddenSize, config.IntermediateSize);
            activation = Activations.Get(config.HiddenAct);
            register_module("dense", dense);
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            return activation(PackedWeightScoring.Project(dense, x)).MoveToOuterDisposeScope();
        }
    }
}
