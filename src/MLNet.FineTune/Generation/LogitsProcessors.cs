using MLNet.FineTune.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Generation;

/// <summary>
/// The score transformations of HF's generation utilities, each on next-token logits (B, V): same formulas, same
/// order (<see cref="Apply"/>), so a distribution here equals transformers' for the same logits.
/// </summary>
internal static class LogitsProcessors
{
    // Cached: a number handed to a tensor op per token would be a Scalar left to the finalizer (see Modeling.ScalarFree).
    static readonly Scalar NegativeInfinity = float.NegativeInfinity.ToScalar(), False = false.ToScalar();

    /// <summary>
    /// RepetitionPenaltyLogitsProcessor: every token already in a row's sequence (B, S) gets its logit divided by the
    /// penalty when positive, multiplied when negative (both make it less likely for a penalty above 1).
    /// </summary>
    public static Tensor RepetitionPenalty(Tensor logits, Tensor sequence, double penalty)
    {
        using var scope = NewDisposeScope();
        var score = logits.gather(1, sequence);
        var penalised = where(score.lt(ScalarFree.Zero), score.Times(penalty), score.Times(1.0 / penalty));
        return logits.scatter(1, sequence, penalised).MoveToOuterDisposeScope();
    }

    /// <summary>TemperatureLogitsWarper: logits / T.</summary>
    public static Tensor Temperature(Tensor logits, double temperature)
    {
        using var t = temperature.ToScalar(); // disposed here, not left to the finalizer once per token (see ScalarFree)
        return logits.div(t);
    }

    /// <summary>TopKLogitsWarper: every logit below the k-th largest becomes −∞.</summary>
    public static Tensor TopK(Tensor logits, int k)
    {
        using var scope = NewDisposeScope();
        k = (int)Math.Min(k, logits.size(-1));
        // The k-th largest value as the (V − k + 1)-th smallest: the same number as topk's k-th, and kthvalue leaves
        // nothing to the finalizer (topk leaves one object per call, once per generated token).
        var kth = logits.kthvalue(logits.size(-1) - k + 1, -1, keepdim: true).values;
        return logits.masked_fill(logits < kth, NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// TopPLogitsWarper: sorts ascending, removes the tokens whose cumulative probability is ≤ 1 − p (always keeping
    /// the most likely one), so what is left is the smallest set of top tokens with probability ≥ p.
    /// </summary>
    public static Tensor TopP(Tensor logits, double p)
    {
        using var scope = NewDisposeScope();
        var (sorted, order) = logits.sort(-1, descending: false);
        var cumulative = sorted.softmax(-1).cumsum(-1);
        using var threshold = (1 - p).ToScalar();
        var removeSorted = cumulative.le(threshold);
        removeSorted.select(1, removeSorted.size(1) - 1).fill_(False); // min_tokens_to_keep = 1
        var remove = removeSorted.scatter(1, order, removeSorted);
        return logits.masked_fill(remove, NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>The options' processors in HF's order: repetition penalty, then (sampling) temperature, top-k, top-p.</summary>
    public static Tensor Apply(Tensor logits, Tensor sequence, GenerationOptions options)
    {
        using var scope = NewDisposeScope();
        if (options.RepetitionPenalty != 1.0) logits = RepetitionPenalty(logits, sequence, options.RepetitionPenalty);
        if (options.DoSample)
        {
            if (options.Temperature != 1.0) logits = Temperature(logits, options.Temperature);
            if (options.TopK > 0) logits = TopK(logits, options.TopK);
            if (options.TopP < 1.0) logits = TopP(logits, options.TopP);
        }
        return logits.MoveToOuterDisposeScope();
    }
}
