using MLNet.FineTune.Embeddings;

namespace MLNet.FineTune;

/// <summary>
/// Every rule on <see cref="SetFitOptions"/>, checked when the estimator is created (before any data is read or model
/// loaded); the exception lists each broken rule on its own line, naming the option, the value and the fix.
/// </summary>
internal static class SetFitOptionsValidation
{
    public static void Validate(SetFitOptions o)
    {
        if (o.Head == SetFitHead.Differentiable)
            throw new NotSupportedException("SetFitOptions.Head = Differentiable (SetFit's end-to-end SetFitHead) is not supported yet; " +
                "use SetFitHead.LogisticRegression (the default, SetFit's own default head).");
        var errors = new List<string>();
        void Rule(bool ok, string message) { if (!ok) errors.Add(message); }

        Rule((o.BaseModel is null) != (o.BaseModelFolder is null), "SetFitOptions: set exactly one of BaseModel (a shipped pretrained model) or BaseModelFolder " +
            "(a sentence-transformers checkpoint folder)" + (o.BaseModel is null ? "; neither is set." : "; both are set."));
        Rule(o.BaseModelFolder is null || Directory.Exists(o.BaseModelFolder), $"SetFitOptions.BaseModelFolder '{o.BaseModelFolder}' does not exist.");
        Rule(!string.IsNullOrWhiteSpace(o.TextColumnName), "SetFitOptions.TextColumnName must name a text column.");
        Rule(!string.IsNullOrWhiteSpace(o.LabelColumnName), "SetFitOptions.LabelColumnName must name a label column.");
        Rule(o.TextColumnName != o.LabelColumnName, $"SetFitOptions.TextColumnName and LabelColumnName are both '{o.TextColumnName}'; they must be different columns.");
        Rule(o.NumIterations is null or >= 1, $"SetFitOptions.NumIterations must be at least 1, or null for SetFit v1.x's oversampling of all pairs (got {o.NumIterations}).");
        Rule(Enum.IsDefined(o.Loss), $"SetFitOptions.Loss = {(int)o.Loss} is not a ContrastiveLoss ({string.Join(", ", Enum.GetNames<ContrastiveLoss>())}).");
        // MNRL reads every pair as (anchor, positive): SetFit's negative pairs would be learnt as positives.
        Rule(o.Loss != ContrastiveLoss.MultipleNegativesRanking, "SetFitOptions.Loss = MultipleNegativesRanking learns from (anchor, positive) pairs only, " +
            "so SetFit's negative pairs (target 0) would be learnt as positives; use CosineSimilarity (SetFit's default), CoSent or Contrastive.");
        Rule(Enum.IsDefined(o.Head), $"SetFitOptions.Head = {(int)o.Head} is not a SetFitHead ({string.Join(", ", Enum.GetNames<SetFitHead>())}).");
        Rule(o.Pooling is null || Enum.IsDefined(o.Pooling.Value), $"SetFitOptions.Pooling = {(int?)o.Pooling} must be Mean, Cls or Max (or null for the model's own).");
        Rule(o.MaxSequenceLength is null or >= 2, $"SetFitOptions.MaxSequenceLength must be at least 2 ([CLS] and [SEP]), or null for the model's own (got {o.MaxSequenceLength}).");
        Rule(o.Peft is not null, "SetFitOptions.Peft must not be null (new PeftOptions() is full fine-tuning, SetFit's default).");
        if (o.Peft is not null)
        {
            try { o.Peft.Validate(headCount: 1); }
            catch (ArgumentException e) { errors.Add("SetFitOptions.Peft: " + e.Message.Split(" (Parameter '")[0]); }
        }
        if (o.Training is { } training) errors.AddRange(training.Problems().Select(p => p.Message));
        if (errors.Count == 1) throw new ArgumentException(errors[0], nameof(o));
        if (errors.Count > 1) throw new ArgumentException($"SetFitOptions has {errors.Count} problems:\n- " + string.Join("\n- ", errors), nameof(o));
    }
}
