using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.DistilBert;

/// <summary>
/// DistilBERT (DistilBertModel): word + learned position embeddings (no token types), N post-LN blocks, no pooler.
/// Keys: <c>embeddings.*</c>, <c>transformer.layer.N.*</c>.
/// </summary>
internal sealed class DistilBertModel : EncoderModel
{
    readonly Embeddings embeddings;
    readonly Stack transformer;

    public DistilBertModel(TransformerConfig config, ProjectionFactory? projection = null) : base(nameof(DistilBertModel), config)
    {
        embeddings = new Embeddings(config);
        transformer = new Stack(config, projection ?? Projections.Plain);
        RegisterComponents();
    }

    public override Tensor EmbedWords(Tensor inputIds) => embeddings.EmbedWords(inputIds);

    public override EncoderOutput Forward(EncoderInput input, bool outputHiddenStates = false)
    {
        using var scope = NewDisposeScope();
        var words = input.InputsEmbeds ?? embeddings.EmbedWords(input.InputIds ?? throw new ArgumentException("Give InputIds or InputsEmbeds."));
        var x = embeddings.Forward(words);                       // (B, T, H)
        var mask = AdditiveMask(input.AttentionMask, x.dtype);  // (B, 1, 1, T)
        var states = outputHiddenStates ? new List<Tensor> { x } : null;
        var packing = PlanPacking(input, outputHiddenStates, x.dtype);
        if (packing is not null) { x = packing.Pack(x); mask = packing.AdditiveMask; }
        foreach (var block in transformer.layer)
        {
            using var layerScope = NewDisposeScope();
            x = block.call(x, mask).MoveToOuterDisposeScope();
            states?.Add(x);
        }
        if (packing is not null) x = packing.Unpack(x);
        return new EncoderOutput(x.MoveToOuterDisposeScope(), null, states?.Select(s => s.MoveToOuterDisposeScope()).ToList());
    }

    sealed class Stack : nn.Module
    {
        public readonly TorchSharp.Modules.ModuleList<DistilBertLayer> layer = new();

        public Stack(TransformerConfig config, ProjectionFactory projection) : base(nameof(Stack))
        {
            for (int i = 0; i < config.NumLayers; i++) layer.Add(new DistilBertLayer(config, $"transformer.layer.{i}", projection));
            RegisterComponents();
        }
    }

    sealed class Embeddings : nn.Module
    {
        readonly nn.Module<Tensor, Tensor> word_embeddings, position_embeddings, LayerNorm, dropout;

        public Embeddings(TransformerConfig config) : base(nameof(Embeddings))
        {
            word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
            position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
            LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
            dropout = new VectorizedDropout(config.HiddenDropout);
            RegisterComponents();
        }

        public Tensor EmbedWords(Tensor ids) => word_embeddings.call(ids);

        public Tensor Forward(Tensor words)
        {
            using var scope = NewDisposeScope();
            var positions = ScalarFree.Range(0, words.size(1), words.device).unsqueeze(0);
            return dropout.call(LayerNorm.call(words.Plus(position_embeddings.call(positions)))).MoveToOuterDisposeScope();
        }
    }
}
