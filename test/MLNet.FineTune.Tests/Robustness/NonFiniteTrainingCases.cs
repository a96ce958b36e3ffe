using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.Training;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Training that runs into NaN or infinity (issue #12, item 5): a learning rate that diverges, labels or weights large
/// enough to overflow float32, a loss or gradient that turns NaN at a known step. Training must stop at the first
/// non-finite loss, gradient norm or weight, name the step and epoch, never write a checkpoint of NaN weights (and say
/// where the last good one is), and never hand back a NaN model.
/// </summary>
internal sealed class NonFiniteTrainingCases : ICorpusSource
{
    const string Category = "nonfinite-training";

    sealed class FloatLabelRow { public string Text { get; set; } = ""; public float Label { get; set; } }

    /// <summary>The tiny MLP of the trainer tests whose loss (or only its gradient) turns NaN on the <paramref name="poisonedCall"/>-th batch.</summary>
    sealed class PoisonedModel(int poisonedCall, bool gradientOnly = false) : ITrainableModel<TinyBatch>
    {
        readonly TinyModel inner = new(initSeed: 7, dropout: 0);
        int calls;

        public nn.Module Module => inner.Module;

        public Tensor ComputeLoss(TinyBatch batch)
        {
            var loss = inner.ComputeLoss(batch);
            if (++calls != poisonedCall) return loss;
            if (!gradientOnly) return loss * float.NaN;
            // sqrt(w - w) is 0, its gradient 0 * ∞ = NaN: a finite loss with NaN gradients.
            var w = inner.Mlp.First.weight!;
            return loss + (w - w).sqrt().sum();
        }
    }

    /// <summary>32 examples, batch 8: 4 steps per epoch, 3 epochs.</summary>
    static TrainingOptions TinyRun(string? checkpoints = null) => new()
    {
        LearningRate = 1e-2, Epochs = 3, BatchSize = 8, LoggingSteps = 1000, CheckpointFolder = checkpoints, CheckpointEverySteps = 2, KeepLastCheckpoints = 10,
    };

    static TrainingHistory TrainTiny(ITrainableModel<TinyBatch> model, TrainingOptions options) =>
        new Trainer<TinyBatch>(options).Train(model, new TinyData(32));

    static FineTuneTransformer Fit(FineTuneOptions options, Microsoft.ML.IDataView data) => new MLContext(1).Transforms.FineTune(options).Fit(data);

    static Microsoft.ML.IDataView Regression(float scale) => new MLContext(1).Data.LoadFromEnumerable(
        SyntheticSentiment.Generate(32, 3).Select(r => new FloatLabelRow { Text = r.Text, Label = (r.Label ? 1 : -1) * scale }));

    static bool AllFinite(string weightsFile)
    {
        using var snapshot = WeightSnapshot.Load(weightsFile);
        using var module = new TinyModel(initSeed: 1, dropout: 0).Module;
        snapshot.RestoreInto(module);
        return module.parameters().All(p => p.isfinite().all().item<bool>());
    }

    public IEnumerable<CorpusCase> Cases()
    {
        // The trainer itself: the exact step and epoch.
        yield return CorpusCase.Refused(Category, "loss-NaN-at-step-6", _ => TrainTiny(new PoisonedModel(6), TinyRun()), "diverged", "step 6", "epoch 2", "loss is NaN");
        yield return CorpusCase.Refused(Category, "gradient-NaN-with-finite-loss-at-step-3", _ => TrainTiny(new PoisonedModel(3, gradientOnly: true), TinyRun()),
            "diverged", "step 3", "epoch 1", "gradient norm is NaN");
        yield return CorpusCase.Refused(Category, "loss-NaN-names-last-good-checkpoint", folder => TrainTiny(new PoisonedModel(7), TinyRun(Path.Combine(folder, "ckpt"))),
            "step 7", "last good checkpoint", "checkpoint-6");
        yield return CorpusCase.Refused(Category, "loss-NaN-before-any-checkpoint", folder => TrainTiny(new PoisonedModel(1), TinyRun(Path.Combine(folder, "ckpt"))),
            "step 1", "No checkpoint had been written");
        yield return CorpusCase.Accepted(Category, "diverged-run-keeps-last-good-checkpoint", folder =>
        {
            var root = Path.Combine(folder, "ckpt");
            var model = new PoisonedModel(7);
            var before = model.Module.parameters().Select(p => p.detach().clone()).ToList();
            var error = Assert.ThrowsExactly<InvalidOperationException>(() => TrainTiny(model, TinyRun(root)));
            StringAssert.Contains(error.Message, Path.Combine(root, "checkpoint-6"));
            var written = Checkpoints.List(root).Select(c => c.Step).ToArray();
            CollectionAssert.AreEqual(new[] { 2, 4, 6 }, written, "no checkpoint after the last good step");
            Assert.IsTrue(AllFinite(Path.Combine(root, "checkpoint-6", "model.bin")));
            // The model in memory keeps the weights of step 6: the NaN step never reached the optimizer.
            Assert.IsTrue(model.Module.parameters().All(p => p.isfinite().all().item<bool>()));
            Assert.IsTrue(model.Module.parameters().Zip(before).Any(p => p.First.ne(p.Second).any().item<bool>()), "steps 1-6 did train");
        });
        yield return CorpusCase.Accepted(Category, "finite-run-records-finite-losses", _ =>
        {
            var history = TrainTiny(new TinyModel(initSeed: 7), TinyRun());
            Assert.AreEqual(12, history.GlobalStep);
            Assert.IsTrue(history.Steps.All(s => double.IsFinite(s.Loss) && double.IsFinite(s.GradNorm)));
        });

        // Through Fit: finite options whose arithmetic overflows float32.
        yield return CorpusCase.Refused(Category, "learning-rate-1e30-diverges", _ =>
            Fit(CorpusFixtures.Quick with { Training = CorpusFixtures.Quick.Training! with { LearningRate = 1e30, Epochs = 4 } }, CorpusFixtures.Sentiment(new MLContext(1), 32)),
            "diverged", "step", "epoch", "TrainingOptions.LearningRate");
        yield return CorpusCase.Refused(Category, "learning-rate-1e30-with-checkpoints", folder =>
            Fit(CorpusFixtures.Quick with
            {
                Training = CorpusFixtures.Quick.Training! with { LearningRate = 1e30, Epochs = 4, CheckpointFolder = Path.Combine(folder, "ckpt"), CheckpointEverySteps = 1 },
            }, CorpusFixtures.Sentiment(new MLContext(1), 32)),
            "diverged", "checkpoint");
        yield return CorpusCase.Refused(Category, "regression-labels-1e30-overflow-the-loss", _ =>
            Fit(CorpusFixtures.Quick with { Task = FineTuneTask.Regression }, Regression(1e30f)), "diverged", "step 1", "epoch 1", "loss is");
        yield return CorpusCase.Refused(Category, "class-weights-1e38-overflow-the-loss", _ =>
            Fit(CorpusFixtures.Quick with { Heads = [new ClassificationHead(classWeights: [1e38f, 1e38f])] }, CorpusFixtures.Sentiment(new MLContext(1), 32)),
            "diverged", "step 1");
        yield return CorpusCase.Refused(Category, "head-loss-weight-1e300-overflows-the-loss", _ =>
            Fit(CorpusFixtures.Quick with { Heads = [new ClassificationHead { LossWeight = 1e300 }] }, CorpusFixtures.Sentiment(new MLContext(1), 32)),
            "diverged", "step 1");
        yield return CorpusCase.Accepted(Category, "regression-labels-1e3-train-finitely", _ =>
        {
            var model = Fit(CorpusFixtures.Quick with { Task = FineTuneTask.Regression }, Regression(1e3f));
            Assert.IsTrue(model.History.Steps.All(s => double.IsFinite(s.Loss)));
            var scores = model.Transform(Regression(1e3f)).GetColumn<float>("Score").ToArray();
            Assert.IsTrue(scores.All(float.IsFinite));
        });
    }
}
