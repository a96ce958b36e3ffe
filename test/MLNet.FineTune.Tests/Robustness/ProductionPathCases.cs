using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Samples;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 1: the ways a server uses a model (ML.NET's documented dispose patterns, a shared predictor, many
/// threads) must never break the shared model: an engine or a predictor never owns the model it was created from.
/// </summary>
internal sealed class ProductionPathCases : ICorpusSource
{
    public IEnumerable<CorpusCase> Cases()
    {
        yield return CorpusCase.Accepted("production", "using-engine-then-transform", _ =>
        {
            var (model, expected) = Production.Fitted();
            using (var engine = Production.Ml.Model.CreatePredictionEngine<SentimentRow, Production.Scored>(model))
                Assert.AreEqual(expected[0], engine.Predict(Production.Rows[0]).Score, 1e-5);
            Production.AssertStillScores(model, expected);
        });
        yield return CorpusCase.Accepted("production", "engine-disposed-twice-then-new-engine", _ =>
        {
            var (model, expected) = Production.Fitted();
            var engine = Production.Ml.Model.CreatePredictionEngine<SentimentRow, Production.Scored>(model);
            engine.Dispose();
            engine.Dispose();
            Production.AssertStillScores(model, expected);
        });
        yield return CorpusCase.Accepted("production", "two-engines-dispose-one-the-other-scores", _ =>
        {
            var (model, expected) = Production.Fitted();
            using var kept = Production.Ml.Model.CreatePredictionEngine<SentimentRow, Production.Scored>(model);
            using (var dropped = Production.Ml.Model.CreatePredictionEngine<SentimentRow, Production.Scored>(model))
                dropped.Predict(Production.Rows[1]);
            for (int i = 0; i < 4; i++) Assert.AreEqual(expected[i], kept.Predict(Production.Rows[i]).Score, 1e-5);
        });
        yield return CorpusCase.Accepted("production", "engine-per-request-in-a-loop", _ =>
        {
            var (model, expected) = Production.Fitted();
            for (int i = 0; i < 20; i++)
            {
                using var engine = Production.Ml.Model.CreatePredictionEngine<SentimentRow, Production.Scored>(model);
                Assert.AreEqual(expected[i % 4], engine.Predict(Production.Rows[i % 4]).Score, 1e-5, $"request {i}");
            }
        });
        yield return CorpusCase.Accepted("production", "thread-safe-predictor-disposed-model-still-usable", _ =>
        {
            var (model, expected) = Production.Fitted();
            using (var predictor = new ThreadSafePredictor<SentimentRow, Production.Scored>(Production.Ml, model))
                Parallel.For(0, 16, i => Assert.AreEqual(expected[i % 4], predictor.Predict(Production.Rows[i % 4]).Score, 1e-5));
            Production.AssertStillScores(model, expected);
            using var second = new ThreadSafePredictor<SentimentRow, Production.Scored>(Production.Ml, model);
            Assert.AreEqual(expected[2], second.Predict(Production.Rows[2]).Score, 1e-5);
        });
        yield return CorpusCase.Accepted("production", "model-dispose-leaves-it-usable", _ =>
        {
            var (model, expected) = Production.Fitted();
            ((IDisposable)model).Dispose(); // what ML.NET engines and TransformerChain.Dispose call
            Production.AssertStillScores(model, expected);
        });
        yield return CorpusCase.Accepted("production", "pipeline-chain-engine-disposed-then-transform", _ =>
        {
            var ml = Production.Ml;
            var data = ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(32, seed: 3));
            var chain = ml.Transforms.CopyColumns("Review", "Text")
                .Append(ml.Transforms.FineTune(CorpusFixtures.Quick with { TextColumnName = "Review" })).Fit(data);
            var expected = Production.Scores(chain);
            using (var engine = ml.Model.CreatePredictionEngine<SentimentRow, Production.Scored>(chain)) engine.Predict(Production.Rows[0]);
            chain.Dispose();
            Production.AssertStillScores(chain, expected);
        });
        yield return CorpusCase.Accepted("production", "reloaded-zip-engines-and-predictors-disposed", folder =>
        {
            var (model, expected) = Production.Fitted();
            var path = Path.Combine(folder, "model.zip");
            Production.Ml.Model.Save(model, Production.Ml.Data.LoadFromEnumerable(Production.Rows).Schema, path);
            var loaded = Production.Ml.Model.Load(path, out _);
            using (var engine = Production.Ml.Model.CreatePredictionEngine<SentimentRow, Production.Scored>(loaded)) engine.Predict(Production.Rows[0]);
            using (var predictor = new ThreadSafePredictor<SentimentRow, Production.Scored>(Production.Ml, loaded)) predictor.Predict(Production.Rows[1]);
            Production.AssertStillScores(loaded, expected);
        });
        yield return CorpusCase.Accepted("production", "predictor-that-loaded-its-model-refuses-after-dispose", folder =>
        {
            var (model, expected) = Production.Fitted();
            var path = Path.Combine(folder, "model.zip");
            Production.Ml.Model.Save(model, Production.Ml.Data.LoadFromEnumerable(Production.Rows).Schema, path);
            var predictor = ThreadSafePredictor<SentimentRow, Production.Scored>.Load(Production.Ml, path);
            Assert.AreEqual(expected[0], predictor.Predict(Production.Rows[0]).Score, 1e-5);
            predictor.Dispose();
            Assert.ThrowsExactly<ObjectDisposedException>(() => predictor.Predict(Production.Rows[0]));
        });
        yield return CorpusCase.Refused("production", "thread-safe-predictor-without-a-model",
            _ => new ThreadSafePredictor<SentimentRow, Production.Scored>(Production.Ml, null!), "model");
        yield return CorpusCase.Accepted("production", "sixteen-threads-share-a-bpe-model", folder =>
        {
            var model = CorpusFixtures.Fit(CorpusFixtures.OnCheckpoint(IdFixtures.Roberta(folder)));
            var random = new Random(8);
            var rows = Enumerable.Range(0, 96).Select(i => new SentimentRow
            {
                Text = string.Join(" ", Enumerable.Range(0, random.Next(1, 30)).Select(_ => new string("abcé😀"[random.Next(5)], random.Next(1, 6)) + random.Next(100))),
            }).ToArray();
            Production.AssertSixteenThreadsAgree(model, rows);
        });
        yield return CorpusCase.Accepted("production", "sixteen-threads-share-a-wordpiece-model", folder =>
        {
            var model = CorpusFixtures.Fit(CorpusFixtures.OnCheckpoint(IdFixtures.Bert(folder)));
            Production.AssertSixteenThreadsAgree(model, SyntheticSentiment.Generate(96, seed: 9).ToArray());
        });
    }
}

internal static class Production
{
    public sealed class Scored { public float Score { get; set; } }

    public static MLContext Ml { get; } = new(seed: 2);

    public static SentimentRow[] Rows { get; } = SyntheticSentiment.Generate(6, seed: 5).ToArray();

    /// <summary>A freshly fitted built-in model and its scores of <see cref="Rows"/>.</summary>
    public static (ITransformer Model, float[] Scores) Fitted()
    {
        var model = CorpusFixtures.Fit(CorpusFixtures.Quick, rows: 32);
        return (model, Scores(model));
    }

    public static float[] Scores(ITransformer model) =>
        model.Transform(Ml.Data.LoadFromEnumerable(Rows)).GetColumn<float>("Score").ToArray();

    /// <summary>Transform and a new engine both still give <paramref name="expected"/>.</summary>
    public static void AssertStillScores(ITransformer model, float[] expected)
    {
        var again = Scores(model);
        for (int i = 0; i < again.Length; i++) Assert.AreEqual(expected[i], again[i], 1e-5, $"Transform row {i}");
        using var engine = Ml.Model.CreatePredictionEngine<SentimentRow, Scored>(model);
        Assert.AreEqual(expected[0], engine.Predict(Rows[0]).Score, 1e-5, "a new engine");
    }

    /// <summary>16 threads (more than the cores) through one ThreadSafePredictor agree with single-threaded Transform.</summary>
    public static void AssertSixteenThreadsAgree(ITransformer model, SentimentRow[] rows)
    {
        var expected = model.Transform(Ml.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();
        using var predictor = new ThreadSafePredictor<SentimentRow, Scored>(Ml, model);
        var actual = new float[16, rows.Length];
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var start = new Barrier(16);
        var threads = Enumerable.Range(0, 16).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (int n = 0; n < rows.Length; n++) { int i = (n + t * 5) % rows.Length; actual[t, i] = predictor.Predict(rows[i]).Score; }
            }
            catch (Exception e) { errors.Enqueue(e); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.IsTrue(errors.IsEmpty, string.Join("\n", errors));
        for (int t = 0; t < 16; t++)
            for (int i = 0; i < rows.Length; i++) Assert.AreEqual(expected[i], actual[t, i], 1e-5, $"thread {t}, row {i}");
    }
}
