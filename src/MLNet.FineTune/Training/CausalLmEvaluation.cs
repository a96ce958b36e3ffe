using MLNet.FineTune.Modeling.Decoding;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>Validation metrics of a causal LM, for <see cref="Trainer{TBatch}"/>'s <c>evaluate</c> callback.</summary>
internal static class CausalLmEvaluation
{
    /// <summary>
    /// <c>loss</c>: mean cross-entropy over every labelled (shifted) token of <paramref name="data"/>, weighted by
    /// tokens rather than batches, so it does not depend on the batch size or packing; <c>perplexity</c>: exp(loss).
    /// Runs under no_grad in whatever mode the module is in (the trainer switches to eval mode first).
    /// </summary>
    public static IReadOnlyDictionary<string, double> Evaluate(ICausalLanguageModel model, IBatchSource<CausalLmBatch> data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        using var _ = no_grad();
        double sum = 0;
        long tokens = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = data.CreateBatch([.. Enumerable.Range(start, Math.Min(batchSize, data.Count - start))]);
            long n = batch.Labels.narrow(1, 1, batch.Labels.size(1) - 1).ne(Losses.IgnoreIndex).sum().item<long>();
            if (n == 0) continue;
            var loss = new CausalLmTrainingModel(model).ComputeLoss(batch);
            sum += loss.item<float>() * (double)n;
            tokens += n;
        }
        if (tokens == 0) throw new ArgumentException("The validation data has no labelled tokens.", nameof(data));
        double mean = sum / tokens;
        return new Dictionary<string, double> { ["loss"] = mean, ["perplexity"] = Math.Exp(mean) };
    }
}
