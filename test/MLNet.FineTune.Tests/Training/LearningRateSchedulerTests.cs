using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Training;

[TestClass]
public class LearningRateSchedulerTests
{
    // Values of HF get_*_schedule_with_warmup(num_warmup_steps=2, num_training_steps=10) lambdas at steps 0..11, by hand.
    static readonly double[] Linear = [0, 0.5, 1, 7.0 / 8, 6.0 / 8, 5.0 / 8, 4.0 / 8, 3.0 / 8, 2.0 / 8, 1.0 / 8, 0, 0];
    static readonly double[] Cosine = [0, 0.5, 1, 0.9619397662556434, 0.8535533905932737, 0.6913417161825449, 0.5,
        0.30865828381745514, 0.14644660940672627, 0.038060233744356624, 0, 0.038060233744356624];
    static readonly double[] Constant = [0, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];

    [TestMethod]
    public void FactorsMatchHuggingFace()
    {
        for (int step = 0; step < 12; step++)
        {
            Assert.AreEqual(Linear[step], LearningRateScheduler.Factor(LearningRateScheduleKind.Linear, step, 2, 10), 1e-12, $"linear {step}");
            Assert.AreEqual(Cosine[step], LearningRateScheduler.Factor(LearningRateScheduleKind.Cosine, step, 2, 10), 1e-12, $"cosine {step}");
            Assert.AreEqual(Constant[step], LearningRateScheduler.Factor(LearningRateScheduleKind.Constant, step, 2, 10), 1e-12, $"constant {step}");
        }
    }

    [TestMethod]
    public void NoWarmupStartsAtFullRate()
    {
        Assert.AreEqual(1.0, LearningRateScheduler.Factor(LearningRateScheduleKind.Linear, 0, 0, 4));
        Assert.AreEqual(0.75, LearningRateScheduler.Factor(LearningRateScheduleKind.Linear, 1, 0, 4));
        Assert.AreEqual(1.0, LearningRateScheduler.Factor(LearningRateScheduleKind.Cosine, 0, 0, 4));
    }

    [TestMethod]
    public void WarmupRatioRoundsUpLikeHuggingFace()
    {
        Assert.AreEqual(4, LearningRateScheduler.WarmupStepsFromRatio(0.1, 31));
        Assert.AreEqual(3, LearningRateScheduler.WarmupStepsFromRatio(0.1, 30));
        Assert.AreEqual(0, LearningRateScheduler.WarmupStepsFromRatio(0, 30));
    }

    [TestMethod]
    public void SchedulerSetsGroupRatesWithScaleAndRestores()
    {
        var model = new TinyModel();
        var groups = new[]
        {
            new ParameterGroup("body", model.Mlp.named_parameters().Where(p => p.name.StartsWith("fc1")), 0.01),
            new ParameterGroup("head", model.Mlp.named_parameters().Where(p => !p.name.StartsWith("fc1")), 0.0, learningRateScale: 10),
        };
        using var adam = new AdamW(groups, 1e-3);
        var scheduler = new LearningRateScheduler(adam, 1e-3, LearningRateScheduleKind.Linear, warmupSteps: 2, totalSteps: 10);
        Assert.AreEqual(0.0, groups[0].LearningRate);
        scheduler.Step();
        Assert.AreEqual(0.5e-3, groups[0].LearningRate, 1e-18);
        Assert.AreEqual(0.5e-2, groups[1].LearningRate, 1e-17);
        scheduler.Restore(6);
        Assert.AreEqual(6, scheduler.CurrentStep);
        Assert.AreEqual(0.5e-3, groups[0].LearningRate, 1e-18);
    }
}
