using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>Losses with the same numbers as <c>torch.nn.functional</c>.</summary>
internal static class Losses
{
    /// <summary>Label value skipped by <see cref="CrossEntropy"/> (padding, sub-word continuations).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>
    /// Mean cross-entropy, <c>F.cross_entropy(logits, labels, weight, ignore_index, label_smoothing)</c>.
    /// Logits [N, C] with labels [N], or per-token logits [N, T, C] with labels [N, T] (flattened).
    /// With class weights the mean divides by the summed weights of the non-ignored labels, as PyTorch does;
    /// a batch whose labels are all ignored gives NaN, as in PyTorch.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, Tensor? classWeights = null, double labelSmoothing = 0.0, long ignoreIndex = IgnoreIndex)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must be in [0, 1).");
        if (logits.dim() != labels.dim() + 1)
            throw new ArgumentException($"Cross-entropy expects logits with one more dimension than labels; got logits {Shape(logits)} and labels {Shape(labels)}.");
        long classes = logits.size(-1);
        if (classWeights is not null && (classWeights.dim() != 1 || classWeights.shape[0] != classes))
            throw new ArgumentException($"Class weights must have shape [{classes}]; got {Shape(classWeights)}.", nameof(classWeights));
        using var flatLogits = logits.reshape(-1, classes);
        using var flatLabels = labels.reshape(-1).to_type(ScalarType.Int64);
        return nn.functional.cross_entropy(flatLogits, flatLabels, classWeights, ignoreIndex, nn.Reduction.Mean, labelSmoothing);
    }

    /// <summary>Mean squared error for regression; predictions [N] or [N, 1] against targets [N].</summary>
    public static Tensor MeanSquaredError(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        if (predictions.numel() != targets.numel())
            throw new ArgumentException($"MSE expects as many predictions as targets; got {Shape(predictions)} and {Shape(targets)}.");
        using var p = predictions.reshape(targets.shape);
        using var t = targets.to_type(predictions.dtype);
        return nn.functional.mse_loss(p, t, nn.Reduction.Mean);
    }

    static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
