using Microsoft.ML;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.TextGeneration;

/// <summary>
/// The DateNormalizer sample, shortened for CI: a 2-layer GPT-2-shaped decoder trained from scratch on synthetic dates
/// must go from ~0% to a clear majority of exact ISO dates on held-out prompts with greedy decoding (the full sample
/// reaches ≥ 95%, docs/generation-demo.md).
/// </summary>
[TestClass]
public class DateNormalizerSampleTests
{
    [TestMethod]
    public void AScratchDecoderLearnsToNormaliseDates()
    {
        var ml = new MLContext(seed: 1);
        var train = SyntheticDates.Generate(3000, seed: 1);
        var heldOut = DateNormalizer.HeldOut(train, 100, seed: 2);
        var shape = DateNormalizer.Model with { NumLayers = 2 };
        double before = SyntheticDates.ExactMatch(heldOut, DateNormalizer.Complete(ml, DateNormalizer.Untrained(ml, train, shape), heldOut));
        var model = DateNormalizer.Train(ml, train, new TrainingOptions
        {
            LearningRate = 3e-3, BatchSize = 32, Epochs = 2, WarmupRatio = 0.05, Schedule = LearningRateScheduleKind.Cosine, WeightDecay = 0.01,
        }, shape);
        double after = SyntheticDates.ExactMatch(heldOut, DateNormalizer.Complete(ml, model, heldOut));
        Console.WriteLine($"exact match before {before:P0}, after {after:P0} ({model.History.GlobalStep} steps)");
        Assert.AreEqual(0, before, 0.01, "the untrained model writes no dates");
        Assert.IsTrue(after >= 0.5, $"exact match after training {after:P0} < 50%");
    }
}
