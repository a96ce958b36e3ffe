using TorchSharp;
using MLNet.FineTune.Modeling.WeightPacking;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.DistilBert;

/// <summary>
/// One DistilBERT block (TransformerBlock in modeling_distilbert.py). Keys under <c>transformer.layer.N.</c>:
/// <c>attention.{q_lin,k_lin,v_lin,out_lin}</c>, <c>sa_layer_norm</c>, <c>ffn.{lin1,lin2}</c>, <c>output_layer_norm</c>.
/// </summary>
internal sealed class DistilBertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    readonly DistilAttention attention;
    readonly nn.Module<Tensor, Tensor> sa_layer_norm;
    readonly FeedForward ffn;
    readonly nn.Module<Tensor, Tensor> output_layer_norm;

    public DistilBertLayer(TransformerConfig config, string path, ProjectionFactory projection) : base(nameof(DistilBertLayer))
    {
        attention = new DistilAttention(config, $"{path}.attention", projection);
        sa_layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        ffn = new FeedForward(config, $"{path}.ffn", projection);
        output_layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var sa = sa_layer_norm.call(attention.call(x, additiveMask).Plus(x));   // (B, T, H)
        return output_layer_norm.call(ffn.call(sa).Plus(sa)).MoveToOuterDisposeScope();
    }

    sealed class DistilAttention : nn.Module<Tensor, Tensor, Tensor>
    {
        readonly MultiHeadSelfAttention self;
        readonly nn.Module<Tensor, Tensor> out_lin;

        public DistilAttention(TransformerConfig config, string path, ProjectionFactory projection) : base(nameof(DistilAttention))
        {
            // q_lin/k_lin/v_lin sit directly under "attention", so the shared attention registers them there.
            self = new MultiHeadSelfAttention(config, path, projection, "q_lin", "k_lin", "v_lin");
            out_lin = projection($"{path}.out_lin", config.HiddenSize, config.HiddenSize);
            foreach (var (name, child) in self.named_children()) register_module(name, child);
            register_module("out_lin", out_lin);
        }

        public override Tensor forward(Tensor x, Tensor additiveMask)
        {
            using var scope = NewDisposeScope();
            return PackedWeightScoring.Project(out_lin, self.call(x, additiveMask)).MoveToOuterDisposeScope();
        }

        // self is not a registered child (its projections are), so train/eval must reach it by hand.
        public override void train(bool on = true) { self.train(on); base.train(on); }
    }

    sealed class FeedForward : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> lin1, lin2, dropout;
        readonly Func<Tensor, Tensor> activation;

        public FeedForward(TransformerConfig config, string path, ProjectionFactory projection) : base(nameof(FeedForward))
        {
            lin1 = projection($"{path}.lin1", config.HiddenSize, config.IntermediateSize);
            lin2 = projection($"{path}.lin2", config.IntermediateSize, config.HiddenSize);
            dropout = new VectorizedDropout(config.HiddenDropout);
            activation = Activations.Get(config.HiddenAct);
            register_module("lin1", lin1);
            register_module("lin2", lin2);
            register_module("dropout", dropout);
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            return dropout.call(PackedWeightScoring.Project(lin2, activation(PackedWeightScoring.Project(lin1, x)))).MoveToOuterDisposeScope();
        }
    }
}
