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
        // The zero term: entry [0, 0] is s_0 − s_0 = 0 exactly (and never ordered), so keeping it adds exp(0) to the sum,
        // as sentence-transformers' cat((zeros(1), scores)) does; torch.cat would leave a finalizable object per call here.
        using var zero = 0.ToScalar();
        var first = ScalarFree.Range(0, cos.size(0), cos.device).eq(zero);
        var kept = ordered.logical_or(first.unsqueeze(1).logical_and(first.unsqueeze(0)));
        using var excluded = (-1e12).ToScalar();
        return differences.masked_fill(kept.logical_not(), excluded).flatten().logsumexp(0);
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
        var distance = Cosine(a, b).neg().add(one, ScalarFree.One);
        var y = labels.to_type(a.dtype);
        var shortfall = distance.neg().add(m, ScalarFree.One).relu();
        // x * x rather than square(), which TorchSharp computes as pow with a finalizer-owned Scalar exponent.
        var similar = y * distance * distance;
        var dissimilar = y.neg().add(one, ScalarFree.One) * shortfall * shortfall;
        return similar.Plus(dissimilar).Times(0.5).mean();
    }

    /// <summary>cos(a_i, b_i) for each row (torch.cosine_similarity, eps 1e-8).</summary>
    static Tensor Cosine(Tensor a, Tensor b) => nn.functional.cosine_similarity(a, b, 1, 1e-8);

    /// <summary>[i, j] = cos(a_i, b_j) (sentence-transformers' cos_sim: both sides L2-normalised first).</summary>
    static Tensor CosineMatrix(Tensor a, Tensor b) => Normalize(a).matmul(Normalize(b).t());

    /// <summary>F.normalize(x, p=2, dim=1, eps=1e-12), with its clamp's Scalar disposed rather than left to the finalizer.</summary>
    static Tensor Normalize(Tensor x)
    {
        using var eps = 1e-12.ToScalar();
        return x.div(x.norm(1, true, 2).clamp_min(eps));
    }
}
