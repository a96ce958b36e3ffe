using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Samples;

namespace MLNet.FineTune.Tests.FineTune;

/// <summary>
/// Issue #12 item 1: a PredictionEngine or a <see cref="ThreadSafePredictor{TSrc,TDst}"/> never owns the model it
/// scores with. ML.NET's docs create engines in a <c>using</c> block around a model loaded once; disposing the engine
/// must leave the model (and every other engine on it) working.
/// </summary>
[TestClass]
[DoNotParallelize]
public class PredictorDisposeTests
{
    public sealed class Prediction { public float Score { get; set; } }

    static readonly Lazy<(ITransformer Model, SentimentRow[] Rows, float[] Scores)> fitted = new(() =>
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(48, seed: 5).ToArray();
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick with { Training = FineTunePersistenceTests.Quick.Training! with { Epochs = 1 } })
            .Fit(ml.Data.LoadFromEnumerable(rows));
        return (model, rows, Scores(ml, model, rows));
    });

    static float[] Scores(MLContext ml, ITransformer model, SentimentRow[] rows) =>
        model.Transform(ml.Data.LoadFromEnumerable(rows.Take(6))).GetColumn<float>("Score").ToArray();

    static void AssertStillScores(MLContext ml, ITransformer model, float[] expected, SentimentRow[] rows)
    {
        var again = Scores(ml, model, rows);
        for (int i = 0; i < again.Length; i++) Assert.AreEqual(expected[i], again[i], 1e-5, $"Transform row {i}");
        using var engine = ml.Model.CreatePredictionEngine<SentimentRow, Prediction>(model);
        Assert.AreEqual(expected[0], engine.Predict(rows[0]).Score, 1e-5, "a new engine");
    }

    [TestMethod]
    public void DisposingAnEngineLeavesTheModelUsable()
    {
        var (model, rows, expected) = fitted.Value;
        var ml = new MLContext(seed: 2);
        using (var engine = ml.Model.CreatePredictionEngine<SentimentRow, Prediction>(model))
            Assert.AreEqual(expected[0], engine.Predict(rows[0]).Score, 1e-5);
        AssertStillScores(ml, model, expected, rows);
    }

    [TestMethod]
    public void DisposingOneOfTwoEnginesLeavesTheOtherScoring()
    {
        var (model, rows, expected) = fitted.Value;
        var ml = new MLContext(seed: 2);
        using var kept = ml.Model.CreatePredictionEngine<SentimentRow, Prediction>(model);
        var dropped = ml.Model.CreatePredictionEngine<SentimentRow, Prediction>(model);
        Assert.AreEqual(expected[1], dropped.Predict(rows[1]).Score, 1e-5);
        dropped.Dispose();
        dropped.Dispose(); // twice: still harmless
        for (int i = 0; i < 3; i++) Assert.AreEqual(expected[i], kept.Predict(rows[i]).Score, 1e-5, $"row {i}");
    }

    [TestMethod]
    public void DisposingAThreadSafePredictorLeavesTheModelUsable()
    {
        var (model, rows, expected) = fitted.Value;
        var ml = new MLContext(seed: 2);
        using (var predictor = new ThreadSafePredictor<SentimentRow, Prediction>(ml, model))
            Parallel.For(0, 8, i => Assert.AreEqual(expected[i % 6], predictor.Predict(rows[i % 6]).Score, 1e-5));
        AssertStillScores(ml, model, expected, rows);
    }

    [TestMethod]
    public void AfterSaveAndLoadDisposingEnginesAndPredictorsLeavesTheLoadedModelUsable()
    {
        var (model, rows, expected) = fitted.Value;
        var ml = new MLContext(seed: 2);
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, ml.Data.LoadFromEnumerable(rows).Schema, path);
            var loaded = ml.Model.Load(path, out _);
            using (var engine = ml.Model.CreatePredictionEngine<SentimentRow, Prediction>(loaded))
                Assert.AreEqual(expected[0], engine.Predict(rows[0]).Score, 1e-5);
            AssertStillScores(ml, loaded, expected, rows);
            using (var predictor = new ThreadSafePredictor<SentimentRow, Prediction>(ml, loaded))
                Assert.AreEqual(expected[2], predictor.Predict(rows[2]).Score, 1e-5);
            AssertStillScores(ml, loaded, expected, rows);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ThreadSafePredictorLoadedFromAZipStillReleasesItsOwnModel()
    {
        var (model, rows, expected) = fitted.Value;
        var ml = new MLContext(seed: 2);
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, ml.Data.LoadFromEnumerable(rows).Schema, path);
            var predictor = ThreadSafePredictor<SentimentRow, Prediction>.Load(ml, path);
            Assert.AreEqual(expected[0], predictor.Predict(rows[0]).Score, 1e-5);
            predictor.Dispose();
            Assert.ThrowsExactly<ObjectDisposedException>(() => predictor.Predict(rows[0]));
        }
        finally { File.Delete(path); }
    }
}
