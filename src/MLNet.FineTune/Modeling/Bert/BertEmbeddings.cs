using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Bert;

/// <summary>
/// Word + position + token-type embeddings, LayerNorm, dropout (BertEmbeddings / RobertaEmbeddings).
/// RoBERTa counts positions from <c>pad_token_id + 1</c> and gives pad tokens the pad position, as
/// create_position_ids_from_input_ids does; with inputs_embeds it numbers positions sequentially from there.
/// </summary>
internal sealed class BertEmbeddings : nn.Module
{
    readonly nn.Module<Tensor, Tensor> word_embeddings, position_embeddings, LayerNorm, dropout;
    readonly nn.Module<Tensor, Tensor>? token_type_embeddings;
    readonly bool robertaPositions;
    readonly int padId;

    public BertEmbeddings(TransformerConfig config) : base(nameof(BertEmbeddings))
    {
        robertaPositions = config.ModelType == "roberta";
        padId = config.PadTokenId;
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize,
            padding_idx: robertaPositions ? config.PadTokenId : null);
        if (config.TypeVocabSize > 0) token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = new VectorizedDropout(config.HiddenDropout);
        RegisterComponents();
    }

    public Tensor EmbedWords(Tensor inputIds) => word_embeddings.call(inputIds);

    /// <param name="wordEmbeds">(B, T, H) word embeddings</param>
    /// <param name="inputIds">(B, T) ids when known (RoBERTa positions skip pads), else null</param>
    /// <param name="tokenTypeIds">(B, T) or null for all zeros</param>
    public Tensor Forward(Tensor wordEmbeds, Tensor? inputIds, Tensor? tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        long b = wordEmbeds.size(0), t = wordEmbeds.size(1);
        var device = wordEmbeds.device;
        Tensor positions;
        if (!robertaPositions) positions = ScalarFree.Range(0, t, device).unsqueeze(0);
        else if (inputIds is not null)
        {
            using var pad = padId.ToScalar();
            var notPad = inputIds.ne(pad).to(ScalarType.Int64);
            positions = notPad.cumsum(1).mul_(notPad).add_(pad, ScalarFree.One);
        }
        else positions = ScalarFree.Range(padId + 1, padId + 1 + t, device).unsqueeze(0);
        var x = wordEmbeds.Plus(position_embeddings.call(positions));
        if (token_type_embeddings is not null)
            x = x.Plus(token_type_embeddings.call(tokenTypeIds ?? zeros(b, t, ScalarType.Int64, device)));
        return dropout.call(LayerNorm.call(x)).MoveToOuterDisposeScope();
    }
}
