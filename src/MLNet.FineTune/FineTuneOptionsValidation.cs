using MLNet.FineTune.Heads;
using MLNet.FineTune.Heads.TokenTagging;
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
        Rule(options.SecondTextColumnName is null || !string.IsNullOrWhiteSpace(options.SecondTextColumnName),
            $"FineTuneOptions.SecondTextColumnName must name a column or be null (got '{options.SecondTextColumnName}').");
        Rule(options.Heads is not null || !string.IsNullOrWhiteSpace(options.LabelColumnName), "FineTuneOptions.LabelColumnName must name a column.");
        Rule(options.OutputColumnPrefix is not null, "FineTuneOptions.OutputColumnPrefix must not be null (\"\" gives ML.NET's default names).");
        Rule(options.Peft is not null, "FineTuneOptions.Peft must not be null (new PeftOptions() is full fine-tuning).");
        Rule(options.BuiltInModel is not null, "FineTuneOptions.BuiltInModel must not be null.");
        Check(() => Defined(options.Task, "FineTuneOptions.Task"));
        Check(() => Defined(options.Truncation, "FineTuneOptions.Truncation"));
        Check(() => Defined(options.WeightsInZip, "FineTuneOptions.WeightsInZip"));
        Rule(options.MaxSequenceLength >= 8, $"MaxSequenceLength must be at least 8 (got {options.MaxSequenceLength}).");
        Rule(options.ValidationFraction is >= 0 and < 1, $"ValidationFraction must be in [0, 1) (got {options.ValidationFraction}).");
        Rule(options.ScoringBatchSize >= 1, $"FineTuneOptions.ScoringBatchSize must be at least 1 (got {options.ScoringBatchSize}).");
        Rule(options.Dropout is null or (>= 0 and < 1), $"FineTuneOptions.Dropout must be in [0, 1) or null (got {options.Dropout}).");
        Rule(options.WeightsInZip != ModelWeights.TrainableOnly || options.BaseModelFolder is not null || options.BaseModel is not null,
            "WeightsInZip = TrainableOnly needs a BaseModelFolder or BaseModel: the built-in model has no pretrained base to share.");
        Rule(options.BaseModelFolder is null || Directory.Exists(options.BaseModelFolder), $"BaseModelFolder '{options.BaseModelFolder}' does not exist.");
        Rule(options.BaseModelFolder is null || options.BaseModel is null,
            $"Set BaseModel ({options.BaseModel?.Name}) or BaseModelFolder ('{options.BaseModelFolder}'), not both.");
        if (options.BaseModelFolder is null && options.BaseModel is null && options.BuiltInModel is not null) Check(() => ValidateBuiltIn(options.BuiltInModel));

        Rule(options.Heads?.All(h => h is not null) != false, "FineTuneOptions.Heads contains a null head.");
        var heads = options.Heads?.Where(h => h is not null).ToList() ?? [];
        Rule(options.Heads is null || options.Heads.Count > 0, "FineTuneOptions.Heads is empty: give at least one head, or null for one head of FineTuneOptions.Task.");
        foreach (var duplicate in heads.GroupBy(h => h.Name).Where(g => g.Count() > 1))
            errors.Add($"Head name '{duplicate.Key}' is used by {duplicate.Count()} heads; head names must be unique (they name the heads' parameters and output columns).");
        foreach (var head in heads) errors.AddRange(HeadProblems(head));
        Rule(heads.Count == 0 || heads.Any(h => h.LossWeight > 0) || heads.Any(h => !(h.LossWeight >= 0)), "Every head has LossWeight 0: nothing would be trained; give at least one head a positive LossWeight.");

        if (options.Peft is not null)
        {
            var peft = options.Peft;
            int before = errors.Count;
            Check(() => Defined(peft.Method, "PeftOptions.Method"));
            Rule(peft.Lora is not null && peft.Bottleneck is not null && peft.PromptTuning is not null, "PeftOptions.Lora, Bottleneck and PromptTuning must not be null.");
            if (peft.Lora is not null) Check(() => Defined(peft.Lora.Bias, "LoraOptions.Bias"));
            Rule(peft.PromptTuning?.InitTokenIds?.All(id => id >= 0) != false, "PromptTuningOptions.InitTokenIds must be token ids >= 0.");
            if (errors.Count == before) Check(() => peft.Validate(heads.Count == 0 ? 1 : heads.Count));
        }
        if (options.Training is { } training)
        {
            errors.AddRange(training.Problems().Select(p => p.Message));
            Rule(heads.Count <= 31 || training.TaskSampling == TaskSampling.Mixed,
                $"TrainingOptions.TaskSampling {training.TaskSampling} supports at most 31 heads (task groups are bit masks of heads); got {heads.Count}.");
        }
        if (errors.Count == 1) throw new ArgumentException(errors[0], nameof(options));
        if (errors.Count > 1) throw new ArgumentException($"FineTuneOptions has {errors.Count} problems:\n- " + string.Join("\n- ", errors), nameof(options));
    }

    /// <summary>A head's own settings: name, label column, loss weight, label smoothing, class or tag weights, enums.</summary>
    static IEnumerable<string> HeadProblems(ITaskHead head)
    {
        string name = head.Name;
        if (string.IsNullOrWhiteSpace(name) || name.Contains('.')) yield return $"Head name '{name}' must be non-empty and contain no '.'.";
        if (string.IsNullOrWhiteSpace(head.LabelColumnName)) yield return $"Head '{name}': LabelColumnName must name a column (got '{head.LabelColumnName}').";
        if (!(double.IsFinite(head.LossWeight) && head.LossWeight >= 0)) yield return $"Head '{name}': LossWeight must be a finite number >= 0 (got {head.LossWeight}).";
        double? smoothing = head switch { ClassificationHead c => c.LabelSmoothing, TokenClassificationHead t => t.LabelSmoothing, _ => null };
        if (smoothing is not (null or (>= 0 and < 1))) yield return $"Head '{name}': LabelSmoothing must be in [0, 1) (got {smoothing}).";
        var weights = head switch
        {
            ClassificationHead { ClassWeights: { } w } => w.Select((x, i) => ($"ClassWeights[{i}]", x)).ToList(),
            TokenClassificationHead { TagWeights: { } w } => w.Select(kv => ($"TagWeights[\"{kv.Key}\"]", kv.Value)).ToList(),
            _ => null,
        };
        if (weights is not null)
        {
            string what = head is ClassificationHead ? "ClassWeights" : "TagWeights";
            foreach (var (slot, w) in weights.Where(x => !(float.IsFinite(x.Item2) && x.Item2 >= 0)))
                yield return $"Head '{name}': {slot} must be a finite number >= 0 (got {w}).";
            if (weights.Count > 0 && weights.All(x => x.Item2 == 0) && head is ClassificationHead)
                yield return $"Head '{name}': every {what} value is 0, so the weighted loss is 0 / 0 (NaN); give some class a positive weight.";
        }
        if (head is TokenClassificationHead token)
        {
            if (!Enum.IsDefined(token.Scheme)) yield return $"Head '{name}': Scheme {(int)token.Scheme} is not a TagScheme ({string.Join(", ", Enum.GetNames<TagScheme>())}).";
            if (!Enum.IsDefined(token.InvalidTags)) yield return $"Head '{name}': InvalidTags {(int)token.InvalidTags} is not an InvalidTagHandling ({string.Join(", ", Enum.GetNames<InvalidTagHandling>())}).";
        }
    }

    static void ValidateBuiltIn(Modeling.BuiltInModelOptions o)
    {
        if (!(o.Dropout is >= 0 and < 1)) throw new ArgumentException($"BuiltInModelOptions.Dropout must be in [0, 1); got {o.Dropout}.");
        if (o.HiddenSize > MaxBuiltInSize || o.IntermediateSize > MaxBuiltInSize || o.Layers > MaxBuiltInLayers || o.VocabularySize > MaxBuiltInSize || o.MaxPositions > MaxBuiltInSize)
            throw new ArgumentException($"BuiltInModelOptions: HiddenSize, IntermediateSize, VocabularySize and MaxPositions must be at most {MaxBuiltInSize}, Layers at most {MaxBuiltInLayers} " +
                $"(a model trained from scratch on CPU; use a pretrained BaseModelFolder for larger ones); got {o}.");
        if (o.HiddenSize < 1 || o.Layers < 1 || o.AttentionHeads < 1 || o.IntermediateSize < 1 || o.MaxPositions < 8 || o.VocabularySize < 16)
            throw new ArgumentException($"BuiltInModelOptions: sizes must be positive (MaxPositions >= 8, VocabularySize >= 16); got {o}.");
        if (o.HiddenSize % o.AttentionHeads != 0)
            throw new ArgumentException($"BuiltInModelOptions.HiddenSize {o.HiddenSize} must be divisible by AttentionHeads {o.AttentionHeads}.");
    }

    /// <summary>Largest size of the built-in model's tables: 131,072 x 131,072 floats would already be 64 GiB.</summary>
    const int MaxBuiltInSize = 1 << 17;
    const int MaxBuiltInLayers = 256;

    static void Defined<TEnum>(TEnum value, string option) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw new ArgumentException($"{option} = {Convert.ToInt64(value)} is not a defined {typeof(TEnum).Name} ({string.Join(", ", Enum.GetNames<TEnum>())}).");
    }
}
