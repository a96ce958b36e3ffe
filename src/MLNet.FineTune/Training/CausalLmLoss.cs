using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>
/// The causal-LM loss of transformers' <c>*ForCausalLM(labels=…)</c>: position t predicts label t + 1 (logits and
/// labels shifted by one), cross-entropy averaged over the positions whose label is not −100. Completion-only training
/// sets the prompt's (and padding's) labels to −100; "all tokens" labels every real token.
/// </summary>
internal static class CausalLmLoss
{
    /// <param name="logits">(B, T, V)</param> <param name="labels">(B, T), <see cref="Losses.IgnoreIndex"/> where not trained</param>
    public static Tensor Compute(Tensor logits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.dim() != 3 || labels.dim() != 2 || logits.size(0) != labels.size(0) || logits.size(1) != labels.size(1))
            throw new ArgumentException($"Causal-LM loss expects logits (B, T, V) and labels (B, T); got [{string.Join(", ", logits.shape)}] and [{string.Join(", ", labels.shape)}].");
        using var scope = NewDisposeScope();
        long t = logits.size(1);
        var shiftedLogits = logits.narrow(1, 0, t - 1).to_type(ScalarType.Float32);
        var shiftedLabels = labels.narrow(1, 1, t - 1);
        return Losses.CrossEntropy(shiftedLogits, shiftedLabels).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Labels for a sequence of prompt + completion ids: −100 on the prompt (<paramref name="promptLength"/> tokens)
    /// and where <paramref name="attentionMask"/> is 0, the token id elsewhere.
    /// </summary>
    public static long[] CompletionOnlyLabels(IReadOnlyList<long> ids, IReadOnlyList<long> attentionMask, int promptLength)
    {
        var labels = new long[ids.Count];
        for (int i = 0; i < ids.Count; i++) labels[i] = i < promptLength || attentionMask[i] == 0 ? Losses.IgnoreIndex : ids[i];
        return labels;
    }
}
