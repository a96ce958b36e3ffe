using Microsoft.ML;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Heads.TokenTagging;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Careless option values (issue #12, items 5 and 7): every real-valued option × {NaN, +∞, −∞, out of range}, every enum
/// cast from an undefined integer, empty or null names, impossible head sets. Each is refused when the estimator is
/// created, before any data is read, with the option's name in the message.
/// </summary>
internal sealed class OptionsCases : ICorpusSource
{
    const string Category = "options";

    static readonly (string Name, double Value)[] NonFinite = [("NaN", double.NaN), ("+inf", double.PositiveInfinity), ("-inf", double.NegativeInfinity)];

    /// <summary>The estimator is created (which validates) with <paramref name="options"/>.</summary>
    static void Create(FineTuneOptions options) => new MLContext(1).Transforms.FineTune(options);

    static CorpusCase Refused(string name, Func<FineTuneOptions, FineTuneOptions> edit, params string[] mustMention) =>
        CorpusCase.Refused(Category, name, _ => Create(edit(CorpusFixtures.Quick)), mustMention);

    static CorpusCase Training(string name, Func<TrainingOptions, TrainingOptions> edit, params string[] mustMention) =>
        Refused("training-" + name, o => o with { Training = edit(o.Training!) }, mustMention);

    /// <summary>A real-valued option: non-finite values, plus the finite values out of its range.</summary>
    static IEnumerable<CorpusCase> RealOption(string option, Func<TrainingOptions, double, TrainingOptions> set, params double[] outOfRange) =>
        NonFinite.Concat(outOfRange.Select(v => (v.ToString(System.Globalization.CultureInfo.InvariantCulture), v)))
            .Select(v => Training($"{option}-{v.Item1}", t => set(t, v.Item2), "TrainingOptions." + option));

    public IEnumerable<CorpusCase> Cases()
    {
        // TrainingOptions: every real number.
        var reals = new[]
        {
            RealOption("LearningRate", (t, v) => t with { LearningRate = v }, -1e-3),
            RealOption("MaxGradNorm", (t, v) => t with { MaxGradNorm = v }, -1),
            RealOption("WarmupRatio", (t, v) => t with { WarmupRatio = v }, -0.1, 1.5),
            RealOption("WeightDecay", (t, v) => t with { WeightDecay = v }, -0.01),
            RealOption("AdamBeta1", (t, v) => t with { AdamBeta1 = v }, -0.1, 1),
            RealOption("AdamBeta2", (t, v) => t with { AdamBeta2 = v }, -0.1, 1),
            RealOption("AdamEpsilon", (t, v) => t with { AdamEpsilon = v }, -1e-8),
            RealOption("LabelSmoothing", (t, v) => t with { LabelSmoothing = v }, -0.1, 1),
            RealOption("EarlyStoppingThreshold", (t, v) => t with { EarlyStoppingThreshold = v }, -0.5),
        };
        foreach (var c in reals.SelectMany(r => r)) yield return c;

        // TrainingOptions: integers out of range.
        yield return Training("Epochs-0", t => t with { Epochs = 0 }, "TrainingOptions.Epochs");
        yield return Training("BatchSize-0", t => t with { BatchSize = 0 }, "TrainingOptions.BatchSize");
        yield return Training("BatchSize-negative", t => t with { BatchSize = -16 }, "TrainingOptions.BatchSize");
        yield return Training("GradientAccumulationSteps-0", t => t with { GradientAccumulationSteps = 0 }, "TrainingOptions.GradientAccumulationSteps");
        yield return Training("WarmupSteps-negative", t => t with { WarmupSteps = -1 }, "TrainingOptions.WarmupSteps");
        yield return Training("EvalSteps-0-with-Steps", t => t with { EvaluationStrategy = EvaluationStrategy.Steps, EvalSteps = 0 }, "TrainingOptions.EvalSteps");
        yield return Training("EarlyStoppingPatience-negative", t => t with { EarlyStoppingPatience = -1 }, "TrainingOptions.EarlyStoppingPatience");
        yield return Training("CheckpointEverySteps-negative", t => t with { CheckpointEverySteps = -1 }, "TrainingOptions.CheckpointEverySteps");
        yield return Training("KeepLastCheckpoints-0", t => t with { KeepLastCheckpoints = 0 }, "TrainingOptions.KeepLastCheckpoints");
        yield return Training("LoggingSteps-0", t => t with { LoggingSteps = 0 }, "TrainingOptions.LoggingSteps");
        yield return Training("TrimNativeMemoryEverySteps-negative", t => t with { TrimNativeMemoryEverySteps = -1 }, "TrainingOptions.TrimNativeMemoryEverySteps");
        yield return Training("MetricForBestModel-empty", t => t with { MetricForBestModel = " " }, "TrainingOptions.MetricForBestModel");
        yield return Training("Resume-without-CheckpointFolder", t => t with { ResumeFromLatestCheckpoint = true }, "TrainingOptions.ResumeFromLatestCheckpoint");
        yield return Training("CheckpointFolder-empty", t => t with { CheckpointFolder = "" }, "TrainingOptions.CheckpointFolder");
        yield return CorpusCase.Refused(Category, "training-CheckpointFolder-is-a-file", folder =>
        {
            var file = Path.Combine(folder, "checkpoints");
            File.WriteAllText(file, "not a folder");
            Create(CorpusFixtures.Quick with { Training = CorpusFixtures.Quick.Training! with { CheckpointFolder = file } });
        }, "TrainingOptions.CheckpointFolder", "existing file");

        // Enums cast from undefined integers.
        yield return Training("Schedule-undefined", t => t with { Schedule = (LearningRateScheduleKind)42 }, "TrainingOptions.Schedule");
        yield return Training("TaskSampling-undefined", t => t with { TaskSampling = (TaskSampling)42 }, "TrainingOptions.TaskSampling");
        yield return Training("EvaluationStrategy-undefined", t => t with { EvaluationStrategy = (EvaluationStrategy)(-1) }, "TrainingOptions.EvaluationStrategy");
        yield return Refused("Task-undefined", o => o with { Task = (FineTuneTask)7 }, "FineTuneOptions.Task");
        yield return Refused("Truncation-undefined", o => o with { Truncation = (TruncationStrategy)7 }, "FineTuneOptions.Truncation");
        yield return Refused("WeightsInZip-undefined", o => o with { WeightsInZip = (ModelWeights)7 }, "FineTuneOptions.WeightsInZip");
        yield return Refused("Peft-Method-undefined", o => o with { Peft = new PeftOptions { Method = (PeftMethod)99 } }, "PeftOptions.Method");
        yield return Refused("Lora-Bias-undefined", o => o with { Peft = new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Bias = (LoraBias)9 } } }, "LoraOptions.Bias");
        yield return Refused("TokenHead-Scheme-undefined", o => o with { Heads = [new TokenClassificationHead(scheme: (TagScheme)99)] }, "Scheme", "99");
        yield return Refused("TokenHead-InvalidTags-undefined", o => o with { Heads = [new TokenClassificationHead(invalidTags: (InvalidTagHandling)5)] }, "InvalidTags", "5");

        // FineTuneOptions numbers.
        foreach (var (name, v) in NonFinite.Append(("-0.1", -0.1)).Append(("1", 1.0)))
        {
            yield return Refused("ValidationFraction-" + name, o => o with { ValidationFraction = v }, "ValidationFraction");
            yield return Refused("Dropout-" + name, o => o with { Dropout = v }, "FineTuneOptions.Dropout");
            yield return Refused("BuiltInModel-Dropout-" + name, o => o with { BuiltInModel = o.BuiltInModel with { Dropout = v } }, "BuiltInModelOptions.Dropout");
        }
        yield return Refused("ScoringBatchSize-0", o => o with { ScoringBatchSize = 0 }, "ScoringBatchSize");
        yield return Refused("ScoringBatchSize-negative", o => o with { ScoringBatchSize = -32 }, "ScoringBatchSize");
        yield return Refused("MaxSequenceLength-0", o => o with { MaxSequenceLength = 0 }, "MaxSequenceLength");
        yield return Refused("BuiltInModel-HiddenSize-0", o => o with { BuiltInModel = o.BuiltInModel with { HiddenSize = 0 } }, "BuiltInModelOptions");
        yield return Refused("BuiltInModel-HiddenSize-int-max", o => o with { BuiltInModel = o.BuiltInModel with { HiddenSize = int.MaxValue, AttentionHeads = 1 } }, "BuiltInModelOptions", "at most");
        yield return Refused("BuiltInModel-Layers-huge", o => o with { BuiltInModel = o.BuiltInModel with { Layers = 100_000 } }, "BuiltInModelOptions", "Layers");

        // Column names.
        yield return Refused("TextColumnName-null", o => o with { TextColumnName = null! }, "TextColumnName");
        yield return Refused("TextColumnName-empty", o => o with { TextColumnName = "" }, "TextColumnName");
        yield return Refused("SecondTextColumnName-blank", o => o with { SecondTextColumnName = "  " }, "SecondTextColumnName");
        yield return Refused("LabelColumnName-null", o => o with { LabelColumnName = null! }, "LabelColumnName");
        yield return Refused("OutputColumnPrefix-null", o => o with { OutputColumnPrefix = null! }, "OutputColumnPrefix");
        yield return Refused("head-LabelColumnName-empty", o => o with { Heads = [new ClassificationHead("c", "")] }, "Head 'c'", "LabelColumnName");

        // Heads.
        yield return Refused("Heads-empty", o => o with { Heads = [] }, "Heads is empty");
        yield return Refused("Heads-null-element", o => o with { Heads = [new ClassificationHead(), null!] }, "null head");
        yield return Refused("Heads-duplicate-names", o => o with { Heads = [new ClassificationHead("x"), new RegressionHead("x", "Score")] }, "'x'", "unique");
        yield return Refused("head-name-with-dot", o => o with { Heads = [new ClassificationHead("a.b")] }, "a.b");
        foreach (var (name, v) in NonFinite.Append(("negative", -1.0)))
            yield return Refused("head-LossWeight-" + name, o => o with { Heads = [new ClassificationHead("c") { LossWeight = v }] }, "Head 'c'", "LossWeight");
        yield return Refused("every-head-LossWeight-0", o => o with { Heads = [new ClassificationHead("c") { LossWeight = 0 }] }, "LossWeight 0");
        yield return Refused("head-LabelSmoothing-NaN", o => o with { Heads = [new ClassificationHead("c", labelSmoothing: double.NaN)] }, "Head 'c'", "LabelSmoothing");
        yield return Refused("token-head-LabelSmoothing-1", o => o with { Heads = [new TokenClassificationHead("t") { LabelSmoothing = 1 }] }, "Head 't'", "LabelSmoothing");
        foreach (var (name, v) in new[] { ("NaN", float.NaN), ("+inf", float.PositiveInfinity), ("negative", -1f) })
        {
            yield return Refused("ClassWeights-" + name, o => o with { Heads = [new ClassificationHead("c", classWeights: [1f, v])] }, "Head 'c'", "ClassWeights[1]");
            yield return Refused("TagWeights-" + name, o => o with { Heads = [new TokenClassificationHead("t") { TagWeights = new Dictionary<string, float> { ["O"] = v } }] },
                "Head 't'", "TagWeights[\"O\"]");
        }
        yield return Refused("ClassWeights-all-zero", o => o with { Heads = [new ClassificationHead("c", classWeights: [0f, 0f])] }, "Head 'c'", "ClassWeights", "0 / 0");

        // PEFT numbers.
        foreach (var (name, v) in NonFinite)
            yield return Refused("Lora-Alpha-" + name, o => o with { Peft = new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Alpha = v } } }, "LoraOptions.Alpha");
        foreach (var (name, v) in NonFinite.Append(("1", 1.0)))
            yield return Refused("Lora-Dropout-" + name, o => o with { Peft = new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Dropout = v } } }, "LoraOptions.Dropout");
        yield return Refused("Lora-Rank-0", o => o with { Peft = new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 0 } } }, "LoraOptions.Rank");
        yield return Refused("Bottleneck-ReductionFactor-0", o => o with { Peft = new PeftOptions { Method = PeftMethod.Houlsby, Bottleneck = new BottleneckOptions { ReductionFactor = 0 } } },
            "BottleneckOptions.ReductionFactor");
        yield return Refused("PromptTuning-NumVirtualTokens-0", o => o with { Peft = new PeftOptions { Method = PeftMethod.PromptTuning, PromptTuning = new PromptTuningOptions { NumVirtualTokens = 0 } } },
            "PromptTuningOptions.NumVirtualTokens");
        yield return Refused("PromptTuning-InitTokenIds-negative", o => o with { Peft = new PeftOptions { Method = PeftMethod.PromptTuning, PromptTuning = new PromptTuningOptions { InitTokenIds = [101, -5] } } },
            "PromptTuningOptions.InitTokenIds");

        // Several problems at once are all listed.
        yield return Refused("several-problems-listed-together", o => o with
        {
            ScoringBatchSize = 0,
            Training = o.Training! with { LearningRate = double.PositiveInfinity, WeightDecay = double.NaN },
        }, "3 problems", "ScoringBatchSize", "TrainingOptions.LearningRate", "TrainingOptions.WeightDecay");
    }
}
