using MLNet.FineTune.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>
/// sentence-transformers' contrastive losses over two (B, H) batches of sentence embeddings (row i of <c>a</c> pairs with
/// row i of <c>b</c>). The embeddings are compared by cosine similarity whether or not they were normalised. Same numbers
/// as sentence-transformers' losses/*.py (formulas in docs/design/embeddings.md).
/// </summary>
internal static class ContrastiveLosses
{
    /// <summary>
    /// MultipleNegativesRankingLoss: cross-entropy of scale·cos(anchor_i, positive_j) over j with target i (every other
    /// positive of the batch is a negative). <paramref name="symmetric"/>: the mean of that and the positive→anchor direction
    /// (MultipleNegativesSymmetricRankingLoss).
    /// </summary>
    public static Tensor MultipleNegativesRanking(Tensor anchors, Tensor positives, double scale, bool symmetric)
    {
        var scores = CosineMatrix(anchors, positives).Times(scale); // (B, B)
        var targets = ScalarFree.Range(0, anchors.size(0), anchors.device);
        var forward = nn.functional.cross_entropy(scores, targets);
        if (!symmetric) return forward;
        var backward = nn.functional.cross_entropy(scores.t(), targets);
        return forward.Plus(backward).Times(0.5);
    }

    /// <summary>
    /// CoSENTLoss: log(1 + Σ exp(scale·(cos_j − cos_i))) over the pairs (i, j) with score_i &gt; score_j (the 1 is the
    /// "0 term" sentence-transformers prepends); pairs with equal scores add nothing.
    /// </summary>
    public static Tensor CoSent(Tensor a, Tensor b, Tensor scores, double scale)
    {
        var cos = Cosine(a, b).Times(scale);                 // (B)
        var differences = cos.unsqueeze(0).Plus(cos.unsqueeze(1).neg()); // [i, j] = s_j − s_i
        var ordered = scores.unsqueeze(1).gt(scores.unsqueeze(0)); // [i, j]: score_i > score_j
        using var excluded = (-1e12).ToScalar();
        var kept = differences.masked_fill(ordered.logical_not(), excluded).flatten();
        return cat([zeros(1, kept.dtype, kept.device), kept]).logsumexp(0);
    }

    /// <summary>CosineSimilarityLoss: mean squared error between cos(a_i, b_i) and score_i.</summary>
    public static Tensor CosineSimilarity(Tensor a, Tensor b, Tensor scores) =>
        nn.functional.mse_loss(Cosine(a, b), scores.to_type(a.dtype), nn.Reduction.Mean);

    /// <summary>
    /// ContrastiveLoss (cosine distance d = 1 − cos): mean of 0.5·(label·d² + (1 − label)·relu(margin − d)²), labels 1
    /// (similar) or 0 (dissimilar).
    /// </summary>
    public static Tensor Contrastive(Tensor a, Tensor b, Tensor labels, double margin)
    {
        using var one = 1.ToScalar();
        using var m = margin.ToScalar();
        var distance = Cosine(a, b).neg().add(one);
        var y = labels.to_type(a.dtype);
        var similar = y * distance.square();
        var dissimilar = y.neg().add(one) * distance.neg().add(m).relu().square();
        return similar.Plus(dissimilar).Times(0.5).mean();
    }

    /// <summary>cos(a_i, b_i) for each row (torch.cosine_similarity, eps 1e-8).</summary>
    static Tensor Cosine(Tensor a, Tensor b) => nn.functional.cosine_similarity(a, b, 1, 1e-8);

    /// <summary>[i, j] = cos(a_i, b_j) (sentence-transformers' cos_sim: both sides L2-normalised first).</summary>
    static Tensor CosineMatrix(Tensor a, Tensor b) =>
        nn.functional.normalize(a, p: 2, dim: 1).matmul(nn.functional.normalize(b, p: 2, dim: 1).t());
}
