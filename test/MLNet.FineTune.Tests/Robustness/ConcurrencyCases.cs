using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Tests.Persistence;
using MLNet.FineTune.Tests.Training;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Determinism under concurrency (issue #12, item 10): runs with the same seed at the same time in one process give the
/// model a run alone gives, bit for bit: dropout masks and initial weights come from each run's own random stream, not
/// from whatever another run left in torch's global generator. Also with checkpoints: a run cancelled and resumed while
/// others train ends where an uninterrupted run ends.
/// </summary>
internal sealed class ConcurrencyCases : ICorpusSource
{
    const string Category = "concurrency";

    /// <summary>64 rows, batch 16, 1 epoch: 4 steps with dropout 0.1 (the built-in model's default).</summary>
    static FineTuneOptions Options(int seed) => CorpusFixtures.Quick with { Training = CorpusFixtures.Quick.Training! with { Seed = seed } };

    /// <summary>Every weight of the fitted network and the scores of 16 rows, as one array to compare bit for bit.</summary>
    static float[] Fingerprint(FineTuneTransformer model)
    {
        var weights = model.Network.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray());
        var ml = new MLContext(1);
        var scores = model.Transform(CorpusFixtures.Sentiment(ml, 16, seed: 9)).GetColumn<float>("Probability");
        return weights.Concat(scores).ToArray();
    }

    static float[] FitOnce(int seed)
    {
        var ml = new MLContext(1);
        using var model = ml.Transforms.FineTune(Options(seed)).Fit(CorpusFixtures.Sentiment(ml, 64));
        return Fingerprint(model);
    }

    /// <summary>Runs every action on its own thread, all released at once; rethrows the first failure.</summary>
    static T[] AtOnce<T>(params Func<T>[] actions)
    {
        var results = new T[actions.Length];
        var errors = new Exception?[actions.Length];
        using var start = new Barrier(actions.Length);
        var threads = actions.Select((action, i) => new Thread(() =>
        {
            start.SignalAndWait();
            try { results[i] = action(); }
            catch (Exception e) { errors[i] = e; }
        }, maxStackSize: 16 << 20)).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (errors.FirstOrDefault(e => e is not null) is { } error) throw new AssertFailedException("a concurrent run failed: " + error);
        return results;
    }

    static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        int first = Enumerable.Range(0, expected.Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]), -1);
        Assert.AreEqual(-1, first, $"{what}: value {first} differs ({(first >= 0 ? $"{expected[first]:R} vs {actual[first]:R}" : "")}).");
    }

    static TrainingOptions TinyRun(int seed, string? checkpoints = null) => new()
    {
        LearningRate = 1e-2, Epochs = 4, BatchSize = 4, LoggingSteps = 1000, Seed = seed, CheckpointFolder = checkpoints, CheckpointEverySteps = 0,
    };

    /// <summary>The trainer tests' tiny MLP (dropout 0.1) trained on 32 examples; returns its weights.</summary>
    static Dictionary<string, float[]> TrainTiny(TinyModel model, TrainingOptions options, CancellationToken cancel = default, IProgress<FineTuneProgress>? progress = null)
    {
        new Trainer<TinyBatch>(options, progress).Train(model, new TinyData(32), cancellationToken: cancel);
        return model.Weights();
    }

    public IEnumerable<CorpusCase> Cases()
    {
        yield return CorpusCase.Accepted(Category, "two-fits-same-seed-at-once-equal-a-fit-alone", _ =>
        {
            var alone = FitOnce(5);
            var together = AtOnce(() => FitOnce(5), () => FitOnce(5));
            AssertBitIdentical(alone, together[0], "first concurrent fit vs the fit alone");
            AssertBitIdentical(alone, together[1], "second concurrent fit vs the fit alone");
        });
        yield return CorpusCase.Accepted(Category, "four-fits-two-seeds-at-once", _ =>
        {
            var runs = AtOnce(() => FitOnce(1), () => FitOnce(2), () => FitOnce(1), () => FitOnce(2));
            AssertBitIdentical(runs[0], runs[2], "seed 1 twice");
            AssertBitIdentical(runs[1], runs[3], "seed 2 twice");
            Assert.IsFalse(runs[0].SequenceEqual(runs[1]), "different seeds must give different models");
        });
        yield return CorpusCase.Accepted(Category, "fit-while-models-load-and-score", _ =>
        {
            var alone = FitOnce(3);
            var ml = new MLContext(1);
            var data = CorpusFixtures.Sentiment(ml, 16);
            using var saved = ml.Transforms.FineTune(Options(4)).Fit(data);
            using var done = new ManualResetEventSlim();
            var results = AtOnce(
                () => { try { return FitOnce(3); } finally { done.Set(); } },
                () =>
                {
                    // Loading builds modules (their constructors draw random initial weights) and scoring runs forward passes.
                    while (!done.IsSet)
                        using (var loaded = ModelZip.Reload<FineTuneTransformer>(ml, saved, data.Schema))
                            loaded.Transform(data).GetColumn<float>("Probability").ToArray();
                    return Array.Empty<float>();
                });
            AssertBitIdentical(alone, results[0], "fit during loads vs the fit alone");
        });
        yield return CorpusCase.Accepted(Category, "trainers-with-dropout-at-once", _ =>
        {
            var alone = TrainTiny(new TinyModel(initSeed: 7), TinyRun(11));
            // Models are built first: TinyModel seeds the global generator itself.
            var models = Enumerable.Range(0, 4).Select(_ => new TinyModel(initSeed: 7)).ToArray();
            var together = AtOnce(models.Select(m => (Func<Dictionary<string, float[]>>)(() => TrainTiny(m, TinyRun(11)))).ToArray());
            foreach (var weights in together) WeightAssert.Equal(alone, weights);
        });
        yield return CorpusCase.Accepted(Category, "cancel-and-resume-beside-other-runs-is-bit-exact", folder =>
        {
            var uninterrupted = TrainTiny(new TinyModel(initSeed: 7), TinyRun(13));
            var root = Path.Combine(folder, "ckpt");
            var interruptedModel = new TinyModel(initSeed: 7);
            var resumedModel = new TinyModel(initSeed: 7);
            var noise = Enumerable.Range(0, 2).Select(_ => new TinyModel(initSeed: 8)).ToArray();
            using var cancel = new CancellationTokenSource();
            var progress = new InlineProgress(p => { if (p.Step == 13) cancel.Cancel(); });
            AtOnce(() => TrainTiny(interruptedModel, TinyRun(13, root), cancel.Token, progress), () => TrainTiny(noise[0], TinyRun(13)));
            Assert.AreEqual(1, Checkpoints.List(root).Count, "the cancelled run wrote its checkpoint");
            var resumed = AtOnce(() => TrainTiny(resumedModel, TinyRun(13, root) with { ResumeFromLatestCheckpoint = true }), () => TrainTiny(noise[1], TinyRun(13)));
            WeightAssert.Equal(uninterrupted, resumed[0]);
        });
    }
}
