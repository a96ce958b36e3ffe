using Microsoft.ML;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Peft.Tuners;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.FineTune;

/// <summary>Options are checked when the estimator is created, before any data is read or model loaded, with one line per broken rule.</summary>
[TestClass]
public class OptionsValidationTests
{
    [TestMethod]
    public void EveryBrokenRuleIsReportedAtConstruction()
    {
        var ml = new MLContext(seed: 1);
        var options = new FineTuneOptions
        {
            MaxSequenceLength = 4, ValidationFraction = 1.5, Dropout = 1.2,
            Heads = [new ClassificationHead("a"), new ClassificationHead("a", "Other") { LossWeight = double.NaN }],
            Peft = new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 0 } },
            Training = new TrainingOptions { BatchSize = 0 },
            WeightsInZip = ModelWeights.TrainableOnly,
        };
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.FineTune(options));
        foreach (var expected in new[]
        {
            "MaxSequenceLength must be at least 8 (got 4)", "ValidationFraction must be in [0, 1) (got 1.5)", "FineTuneOptions.Dropout must be in [0, 1)",
            "Head name 'a' is used by 2 heads", "LossWeight must be a finite number >= 0 (got NaN)", "LoraOptions.Rank must be a positive integer, got 0",
            "TrainingOptions.BatchSize must be >= 1; got 0", "WeightsInZip = TrainableOnly needs a BaseModelFolder",
        })
            StringAssert.Contains(e.Message, expected);
        StringAssert.StartsWith(e.Message, "FineTuneOptions has 8 problems:");
    }

    [TestMethod]
    public void OneBrokenRuleGivesItsOwnMessage()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new MLContext().Transforms.FineTune(new FineTuneOptions { BaseModelFolder = "/no/such/checkpoint" }));
        StringAssert.StartsWith(e.Message, "BaseModelFolder '/no/such/checkpoint' does not exist.");
        var prompt = Assert.ThrowsExactly<ArgumentException>(() => new MLContext().Transforms.FineTune(new FineTuneOptions
            { Peft = new PeftOptions { Method = PeftMethod.PromptTuning, PromptTuning = new PromptTuningOptions { NumVirtualTokens = 0 } } }));
        StringAssert.Contains(prompt.Message, "PromptTuningOptions.NumVirtualTokens must be positive, got 0");
    }

    [TestMethod]
    public void EveryPeftMethodHasExactlyOneTuner() =>
        CollectionAssert.AreEquivalent(Enum.GetValues<PeftMethod>(), TunerRegistry.Methods.ToArray());
}
