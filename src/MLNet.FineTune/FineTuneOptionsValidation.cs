using MLNet.FineTune.Heads;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;

namespace MLNet.FineTune;

/// <summary>
/// Every rule on <see cref="FineTuneOptions"/> checked at once, when the estimator is created (before any data is read
/// or model loaded): the exception lists each broken rule on its own line, naming the option, the value and what was expected.
/// </summary>
internal static class FineTuneOptionsValidation
{
    public static void Validate(FineTuneOptions options)
    {
        var errors = new List<string>();
        void Check(Action validate)
        {
            try { validate(); }
            catch (ArgumentException e) { errors.Add(e.Message.Split(" (Parameter '")[0]); }
        }
        void Rule(bool ok, string message) { if (!ok) errors.Add(message); }

        Rule(!string.IsNullOrWhiteSpace(options.TextColumnName), "FineTuneOptions.TextColumnName must name a column.");
        Rule(options.MaxSequenceLength >= 8, $"MaxSequenceLength must be at least 8 (got {options.MaxSequenceLength}).");
        Rule(options.ValidationFraction is >= 0 and < 1, $"ValidationFraction must be in [0, 1) (got {options.ValidationFraction}).");
        Rule(options.ScoringBatchSize >= 1, $"FineTuneOptions.ScoringBatchSize must be at least 1 (got {options.ScoringBatchSize}).");
        Rule(options.Dropout is null or (>= 0 and < 1), $"FineTuneOptions.Dropout must be in [0, 1) or null (got {options.Dropout}).");
        Rule(options.WeightsInZip != ModelWeights.TrainableOnly || options.BaseModelFolder is not null || options.BaseModel is not null,
            "WeightsInZip = TrainableOnly needs a BaseModelFolder or BaseModel: the built-in model has no pretrained base to share.");
        Rule(options.BaseModelFolder is null || Directory.Exists(options.BaseModelFolder), $"BaseModelFolder '{options.BaseModelFolder}' does not exist.");
        Rule(options.BaseModelFolder is null || options.BaseModel is null,
            $"Set BaseModel ({options.BaseModel?.Name}) or BaseModelFolder ('{options.BaseModelFolder}'), not both.");
        if (options.BaseModelFolder is null && options.BaseModel is null) Check(() => ValidateBuiltIn(options.BuiltInModel));

        var heads = options.Heads ?? [];
        Rule(options.Heads is null || options.Heads.Count > 0, "FineTuneOptions.Heads is empty: give at least one head, or null for one head of FineTuneOptions.Task.");
        foreach (var duplicate in heads.GroupBy(h => h.Name).Where(g => g.Count() > 1))
            errors.Add($"Head name '{duplicate.Key}' is used by {duplicate.Count()} heads; head names must be unique (they name the heads' parameters and output columns).");
        foreach (var head in heads)
        {
            Rule(!string.IsNullOrWhiteSpace(head.Name) && !head.Name.Contains('.'), $"Head name '{head.Name}' must be non-empty and contain no '.'.");
            Rule(double.IsFinite(head.LossWeight) && head.LossWeight >= 0, $"Head '{head.Name}': LossWeight must be a finite number >= 0 (got {head.LossWeight}).");
            double? smoothing = head switch { ClassificationHead c => c.LabelSmoothing, TokenClassificationHead t => t.LabelSmoothing, _ => null };
            Rule(smoothing is null or (>= 0 and < 1), $"Head '{head.Name}': LabelSmoothing must be in [0, 1) (got {smoothing}).");
        }

        Check(() => options.Peft.Validate(heads.Count == 0 ? 1 : heads.Count));
        if (options.Training is { } training)
        {
            Check(training.Validate);
            Rule(heads.Count <= 31 || training.TaskSampling == TaskSampling.Mixed,
                $"TrainingOptions.TaskSampling {training.TaskSampling} supports at most 31 heads (task groups are bit masks of heads); got {heads.Count}.");
        }
        if (errors.Count == 1) throw new ArgumentException(errors[0], nameof(options));
        if (errors.Count > 1) throw new ArgumentException($"FineTuneOptions has {errors.Count} problems:\n- " + string.Join("\n- ", errors), nameof(options));
    }

    static void ValidateBuiltIn(Modeling.BuiltInModelOptions o)
    {
        if (o.HiddenSize < 1 || o.Layers < 1 || o.AttentionHeads < 1 || o.IntermediateSize < 1 || o.MaxPositions < 8 || o.VocabularySize < 16)
            throw new ArgumentException($"BuiltInModelOptions: sizes must be positive (MaxPositions >= 8, VocabularySize >= 16); got {o}.");
        if (o.HiddenSize % o.AttentionHeads != 0)
            throw new ArgumentException($"BuiltInModelOptions.HiddenSize {o.HiddenSize} must be divisible by AttentionHeads {o.AttentionHeads}.");
        if (o.Dropout is < 0 or >= 1) throw new ArgumentException($"BuiltInModelOptions.Dropout must be in [0, 1); got {o.Dropout}.");
    }
}
