using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Peft;

namespace MLNet.FineTune;

/// <summary>
/// Every rule on <see cref="SetFitOptions"/>, checked when the estimator is created (before any data is read or model
/// loaded); the exception lists each broken rule on its own line, naming the option, the value and the fix.
/// </summary>
internal static class SetFitOptionsValidation
{
    public static void Validate(SetFitOptions o)
    {
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
        Rule(o.DifferentiableHead is not null, "SetFitOptions.DifferentiableHead must not be null (new SetFitDifferentiableHeadOptions() holds SetFit's defaults).");
        if (o.DifferentiableHead is { } head)
        {
            const string H = "SetFitOptions.DifferentiableHead.";
            Rule(head.Epochs >= 1, $"{H}Epochs must be at least 1 (got {head.Epochs}).");
            Rule(head.BatchSize >= 1, $"{H}BatchSize must be at least 1 (got {head.BatchSize}).");
            Rule(head.LearningRate > 0 && double.IsFinite(head.LearningRate), $"{H}LearningRate must be a positive number (got {head.LearningRate}).");
            Rule(head.BodyLearningRate > 0 && double.IsFinite(head.BodyLearningRate), $"{H}BodyLearningRate must be a positive number (got {head.BodyLearningRate}).");
            Rule(head.WeightDecay >= 0 && double.IsFinite(head.WeightDecay), $"{H}WeightDecay must be 0 or more (got {head.WeightDecay}).");
            Rule(head.Temperature > 0 && double.IsFinite(head.Temperature), $"{H}Temperature must be a positive number (got {head.Temperature}).");
        }
        Rule(o.Pooling is null || Enum.IsDefined(o.Pooling.Value), $"SetFitOptions.Pooling = {(int?)o.Pooling} must be Mean, Cls or Max (or null for the model's own).");
        Rule(o.MaxSequenceLength is null or >= 2, $"SetFitOptions.MaxSequenceLength must be at least 2 ([CLS] and [SEP]), or null for the model's own (got {o.MaxSequenceLength}).");
        Rule(o.Peft is not null, "SetFitOptions.Peft must not be null (new PeftOptions() is full fine-tuning, SetFit's default).");
        if (o.Peft is not null)
        {
            Rule(o.Peft.Method is PeftMethod.Full or PeftMethod.Lora or PeftMethod.BitFit, $"SetFitOptions.Peft.Method {o.Peft.Method} is not supported for SetFit's body: " +
                "use Full (SetFit's default), Lora (merged into the weights after training) or BitFit.");
            try { o.Peft.Validate(headCount: 1); }
            catch (ArgumentException e) { errors.Add("SetFitOptions.Peft: " + e.Message.Split(" (Parameter '")[0]); }
        }
        if (o.Training is { } training) errors.AddRange(training.Problems().Select(p => p.Message));
        if (errors.Count == 1) throw new ArgumentException(errors[0], nameof(o));
        if (errors.Count > 1) throw new ArgumentException($"SetFitOptions has {errors.Count} problems:\n- " + string.Join("\n- ", errors), nameof(o));
    }
}
