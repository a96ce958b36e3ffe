namespace MLNet.FineTune.Embeddings;

/// <summary>
/// sentence-transformers' losses for fine-tuning an embedding model on text pairs (formulas in docs/design/embeddings.md).
/// Embeddings are compared by cosine similarity.
/// </summary>
public enum ContrastiveLoss
{
    /// <summary>
    /// MultipleNegativesRankingLoss on (anchor, positive) pairs: each anchor must pick its own positive among all the
    /// batch's positives (in-batch negatives), scale 20. Needs no scores or labels; larger batches give more negatives.
    /// </summary>
    MultipleNegativesRanking,
    /// <summary>CoSENTLoss on (a, b, score) rows: ranks the pairs' cosine similarities in the order of their scores (any scale).</summary>
    CoSent,
    /// <summary>CosineSimilarityLoss on (a, b, score) rows: mean squared error between cos(a, b) and the score (in [-1, 1], typically [0, 1]).</summary>
    CosineSimilarity,
    /// <summary>ContrastiveLoss on (a, b, label) rows: pulls similar pairs (label 1) together, pushes dissimilar ones (0) beyond a cosine-distance margin.</summary>
    Contrastive,
}
