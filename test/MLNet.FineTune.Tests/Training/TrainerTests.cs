using MLNet.FineTune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Training;

[TestClass]
[DoNotParallelize]
public class TrainerTests
{
    static readonly TrainingOptions Base = new()
    {
        LearningRate = 1e-2,
        Epochs = 2,
        BatchSize = 4,
        WarmupRatio = 0.2,
        TrimNativeMemoryEverySteps = 2,
    };

    static TrainingHistory Train(TinyModel model, TrainingOptions options, int examples = 20,
        Func<IReadOnlyDictionary<string, double>>? evaluate = null, IProgress<FineTuneProgress>? progress = null, CancellationToken token = default) =>
        new Trainer<TinyBatch>(options, progress).Train(model, new TinyData(examples), evaluate, token);

    [TestMethod]
    public void SameSeedGivesIdenticalWeightsAndDifferentSeedDoesNot()
    {
        var first = new TinyModel();
        var second = new TinyModel();
        var third = new TinyModel();
        var h1 = Train(first, Base);
        var h2 = Train(second, Base);
        Train(third, Base with { Seed = 43 });
        WeightAssert.Equal(first.Weights(), second.Weights());
        CollectionAssert.AreEqual(h1.Steps.Select(s => s.Loss).ToArray(), h2.Steps.Select(s => s.Loss).ToArray());
        Assert.IsTrue(WeightAssert.Differ(first.Weights(), third.Weights()));
        Assert.IsTrue(WeightAssert.Differ(first.Weights(), new TinyModel().Weights()), "training must change the weights");
        Assert.AreEqual(10, h1.GlobalStep);
        Assert.AreEqual(StopReason.Completed, h1.StopReason);
    }

    [TestMethod]
    public void AccumulatedHalfBatchesGiveTheGradientsOfTheFullBatch()
    {
        var whole = new TinyModel(dropout: 0);
        var halves = new TinyModel(dropout: 0);
        var data = new TinyData(8);
        using (NewDisposeScope())
        {
            Trainer<TinyBatch>.AccumulateGradients(whole, data.CreateBatch([0, 1, 2, 3, 4, 5, 6, 7]), 1.0);
            Trainer<TinyBatch>.AccumulateGradients(halves, data.CreateBatch([0, 1, 2, 3]), 0.5);
            Trainer<TinyBatch>.AccumulateGradients(halves, data.CreateBatch([4, 5, 6, 7]), 0.5);
        }
        static Dictionary<string, float[]> Grads(TinyModel m) =>
            m.Mlp.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.data<float>().ToArray());
        WeightAssert.Equal(Grads(whole), Grads(halves), 1e-6);
    }

    [TestMethod]
    public void BatchEightEqualsTwoAccumulatedBatchesOfFour()
    {
        var whole = new TinyModel(dropout: 0);
        var accumulated = new TinyModel(dropout: 0);
        var h1 = Train(whole, Base with { BatchSize = 8 }, examples: 32);
        var h2 = Train(accumulated, Base with { BatchSize = 4, GradientAccumulationSteps = 2 }, examples: 32);
        Assert.AreEqual(h1.GlobalStep, h2.GlobalStep);
        WeightAssert.Equal(whole.Weights(), accumulated.Weights(), 1e-5);
        for (int i = 0; i < h1.Steps.Count; i++) Assert.AreEqual(h1.Steps[i].Loss, h2.Steps[i].Loss, 1e-6);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ResumeFromCheckpointReproducesTheUninterruptedRunExactly(bool loadBestModelAtEnd)
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnet-ft-resume-" + Guid.NewGuid().ToString("N"));
        try
        {
            // 22 examples, batch 4 -> 6 batches (last of 2), accumulation 2 -> 3 steps per epoch, 9 in all; dropout on.
            var options = Base with { Epochs = 3, GradientAccumulationSteps = 2, CheckpointEverySteps = 2, KeepLastCheckpoints = 2, LoadBestModelAtEnd = loadBestModelAtEnd };
            var data = new TinyData(22);
            var reference = new TinyModel();
            var expected = new Trainer<TinyBatch>(options).Train(reference, data, () => Evaluate(reference, data));

            using var cts = new CancellationTokenSource();
            var interrupted = new TinyModel();
            var progress = new InlineProgress(p => { if (p.Step == 5) cts.Cancel(); });
            var partial = new Trainer<TinyBatch>(options with { CheckpointFolder = folder }, progress)
                .Train(interrupted, data, () => Evaluate(interrupted, data), cts.Token);
            Assert.AreEqual(StopReason.Cancelled, partial.StopReason);
            Assert.AreEqual(5, partial.GlobalStep);
            CollectionAssert.AreEqual(new[] { "checkpoint-4", "checkpoint-5" }, Directory.GetDirectories(folder).Select(Path.GetFileName).Order().ToArray());
            string[] files = ["model.bin", "optimizer.bin", "rng.bin", "data_order.bin", "trainer_state.json"];
            CollectionAssert.AreEquivalent(loadBestModelAtEnd ? [.. files, "best_model.bin"] : files,
                Directory.GetFiles(Path.Combine(folder, "checkpoint-5")).Select(Path.GetFileName).ToArray());

            var resumed = new TinyModel(initSeed: 99);
            var rest = new Trainer<TinyBatch>(options with { CheckpointFolder = folder, ResumeFromLatestCheckpoint = true, CheckpointEverySteps = 0 })
                .Train(resumed, data, () => Evaluate(resumed, data));
            Assert.AreEqual(5, rest.ResumedFromStep);
            Assert.AreEqual(9, rest.GlobalStep);
            WeightAssert.Equal(reference.Weights(), resumed.Weights());
            Assert.AreEqual(expected.RestoredBestWeights, rest.RestoredBestWeights);
            Assert.AreEqual(expected.BestStep, rest.BestStep);
            CollectionAssert.AreEqual(expected.Steps, rest.Steps);
            CollectionAssert.AreEqual(expected.Evaluations.Select(e => e.Metrics["loss"]).ToArray(), rest.Evaluations.Select(e => e.Metrics["loss"]).ToArray());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    static IReadOnlyDictionary<string, double> Evaluate(TinyModel model, TinyData data)
    {
        Assert.IsFalse(model.Mlp.training, "evaluation must run in eval mode");
        return new Dictionary<string, double> { ["loss"] = model.ComputeLoss(data.All()).item<float>() };
    }

    [TestMethod]
    public void CancellationStopsAtAStepBoundaryWithoutCheckpointFolder()
    {
        using var cts = new CancellationTokenSource();
        var model = new TinyModel();
        var history = Train(model, Base, progress: new InlineProgress(p => { if (p.Step == 3) cts.Cancel(); }), token: cts.Token);
        Assert.AreEqual(StopReason.Cancelled, history.StopReason);
        Assert.AreEqual(3, history.GlobalStep);
        Assert.AreEqual(3, history.Steps.Count);
    }

    [TestMethod]
    public void EarlyStoppingRestoresTheBestWeights()
    {
        double[] scripted = [0.9, 0.5, 0.7, 0.8, 0.4, 0.3];
        int calls = 0;
        var model = new TinyModel();
        Dictionary<string, float[]>? atBest = null;
        var history = Train(model, Base with { EvaluationStrategy = EvaluationStrategy.Steps, EvalSteps = 1, EarlyStoppingPatience = 2 },
            evaluate: () =>
            {
                if (calls == 1) atBest = model.Weights();
                return new Dictionary<string, double> { ["loss"] = scripted[calls++] };
            });
        Assert.AreEqual(StopReason.EarlyStopped, history.StopReason);
        Assert.AreEqual(4, history.GlobalStep);
        Assert.AreEqual(2, history.BestStep);
        Assert.AreEqual(0.5, history.BestMetric);
        Assert.IsTrue(history.RestoredBestWeights);
        WeightAssert.Equal(atBest!, model.Weights());
    }

    [TestMethod]
    public void MissingMetricNamesWhatTheEvaluationReturned()
    {
        var e = Assert.ThrowsExactly<KeyNotFoundException>(() => Train(new TinyModel(), Base with { MetricForBestModel = "accuracy" },
            evaluate: () => new Dictionary<string, double> { ["loss"] = 1, ["f1"] = 0.5 }));
        StringAssert.Contains(e.Message, "'accuracy' but the evaluation returned [loss, f1]");
    }

    [TestMethod]
    public void FrozenParametersStayOutOfTheOptimizerAndNeverChange()
    {
        var model = new TinyModel();
        foreach (var (_, p) in model.Mlp.First.named_parameters()) p.requires_grad = false;
        var before = model.Weights();
        var groups = ((ITrainableModel<TinyBatch>)model).CreateParameterGroups(0.01);
        Assert.IsFalse(groups.SelectMany(g => g.ParameterNames).Any(n => n.StartsWith("fc1")));
        Train(model, Base with { WeightDecay = 0.5 });
        var after = model.Weights();
        CollectionAssert.AreEqual(before["fc1.weight"], after["fc1.weight"]);
        CollectionAssert.AreEqual(before["fc1.bias"], after["fc1.bias"]);
        CollectionAssert.AreNotEqual(before["fc2.weight"], after["fc2.weight"]);
    }

    [TestMethod]
    public void MaxStepsFollowsTheLinearScheduleAndReportsProgress()
    {
        var reports = new List<FineTuneProgress>();
        var log = new List<string>();
        var history = new Trainer<TinyBatch>(Base with { MaxSteps = 7, WarmupRatio = 0, Epochs = 1, LoggingSteps = 5 }, new InlineProgress(reports.Add), log.Add)
            .Train(new TinyModel(), new TinyData(20));
        Assert.AreEqual(1, log.Count(l => l.StartsWith("step 5/7 epoch 1.00 loss ")), string.Join("\n", log));
        Assert.AreEqual(1, log.Count(l => l.StartsWith("step 7/7 ")));
        Assert.AreEqual(7, history.GlobalStep);
        double[] expected = Enumerable.Range(0, 7).Select(k => 1e-2 * ((7 - k) / 7.0)).ToArray();
        CollectionAssert.AreEqual(expected, history.Steps.Select(s => s.LearningRate).ToArray());
        Assert.AreEqual(7, reports.Count);
        Assert.AreEqual(2, reports[^1].Epoch, "7 steps of 5 per epoch reach the second epoch");
        Assert.IsTrue(reports.All(r => r.TotalSteps == 7 && r.ExamplesPerSecond > 0 && r.EstimatedTimeRemaining is not null));
    }

    [TestMethod]
    public void InvalidOptionsNameTheField()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Trainer<TinyBatch>(Base with { GradientAccumulationSteps = 0 }));
        StringAssert.Contains(e.Message, "TrainingOptions.GradientAccumulationSteps must be >= 1; got 0");
    }

    [TestMethod]
    public void GradNormIsReportedWithClippingOff()
    {
        // A limit no gradient reaches clips nothing, so both runs take the same steps and must report the same norms.
        var off = Train(new TinyModel(), Base with { MaxGradNorm = 0 });
        var unreached = Train(new TinyModel(), Base with { MaxGradNorm = 1e30 });
        var norms = off.Steps.Select(s => s.GradNorm).ToArray();
        Assert.IsTrue(norms.All(n => double.IsFinite(n) && n > 0), "grad norms: " + string.Join(", ", norms));
        CollectionAssert.AreEqual(unreached.Steps.Select(s => s.GradNorm).ToArray(), norms);
    }
}
