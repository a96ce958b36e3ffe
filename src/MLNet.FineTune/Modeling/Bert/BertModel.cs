using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Bert;

/// <summary>
/// BERT and RoBERTa encoders (BertModel / RobertaModel in transformers): embeddings, N post-LN blocks, tanh pooler on
/// the first token. MiniLM and the BERT miniatures are BERT with other sizes; everything comes from the config.
/// </summary>
internal sealed class BertModel : EncoderModel
{
    readonly BertEmbeddings embeddings;
    readonly BertStack encoder;
    readonly BertPooler? pooler;

    public BertModel(TransformerConfig config, ProjectionFactory? projection = null, bool addPooler = true) : base(nameof(BertModel), config)
    {
        projection ??= Projections.Plain;
        embeddings = new BertEmbeddings(config);
        encoder = new BertStack(config, projection);
        if (addPooler) pooler = new BertPooler(config, projection);
        RegisterComponents();
    }

    public override Tensor EmbedWords(Tensor inputIds) => embeddings.EmbedWords(inputIds);

    public override EncoderOutput Forward(EncoderInput input, bool outputHiddenStates = false)
    {
        using var scope = NewDisposeScope();
        var words = input.InputsEmbeds ?? embeddings.EmbedWords(input.InputIds ?? throw new ArgumentException("Give InputIds or InputsEmbeds."));
        var x = embeddings.Forward(words, input.InputsEmbeds is null ? input.InputIds : null, input.TokenTypeIds); // (B, T, H)
        var mask = AdditiveMask(input.AttentionMask, x.dtype);                                                   // (B, 1, 1, T)
        var states = outputHiddenStates ? new List<Tensor> { x } : null;
        var packing = PlanPacking(input, outputHiddenStates, x.dtype);
        x = packing is null ? encoder.Forward(x, mask, states) : packing.Unpack(encoder.Forward(packing.Pack(x), packing.AdditiveMask, null));
        var pooled = pooler?.call(x);
        var output = new EncoderOutput(x.MoveToOuterDisposeScope(), pooled?.MoveToOuterDisposeScope(),
            states?.Select(s => s.MoveToOuterDisposeScope()).ToList());
        return output;
    }

    /// <summary>The <c>encoder.layer.N</c> stack.</summary>
    sealed class BertStack : nn.Module
    {
        readonly TorchSharp.Modules.ModuleList<BertLayer> layer = new();

        public BertStack(TransformerConfig config, ProjectionFactory projection) : base(nameof(BertStack))
        {
            for (int i = 0; i < config.NumLayers; i++) layer.Add(new BertLayer(config, $"encoder.layer.{i}", projection));
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor mask, List<Tensor>? states)
        {
            foreach (var block in layer)
            {
                // A scope per layer frees each block's intermediates as soon as the block is done (autograd keeps
                // what backward needs), which cut inference peak RSS by ~40% in the reference port.
                using var scope = NewDisposeScope();
                var next = block.call(x, mask).MoveToOuterDisposeScope();
                x = next;
                states?.Add(x);
            }
            return x;
        }
    }

    /// <summary><c>pooler.dense</c> + tanh on the first token (BertPooler).</summary>
    sealed class BertPooler : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> dense;

        public BertPooler(TransformerConfig config, ProjectionFactory projection) : base(nameof(BertPooler))
        {
            dense = projection("pooler.dense", config.HiddenSize, config.HiddenSize);
            register_module("dense", dense);
        }

        public override Tensor forward(Tensor hidden)
        {
            using var scope = NewDisposeScope();
            return dense.call(hidden[TensorIndex.Colon, 0]).tanh().MoveToOuterDisposeScope();
        }
    }
}
