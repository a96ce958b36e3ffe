using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.FineTune;

/// <summary>
/// Multi-task rows may lack a head's label (docs/design/multitask.md): "" for a classification head, NaN for a regression
/// head. Training skips them for that head, and so must validation (its metrics are over each head's labelled rows).
/// </summary>
[TestClass]
public class MultiTaskUnlabelledRowsTests
{
    sealed class Row
    {
        public string Text { get; set; } = "";
        public string Sentiment { get; set; } = "";
        public float Stars { get; set; }
    }

    static readonly string[] Good = ["great", "lovely", "superb"], Bad = ["awful", "boring", "terrible"];

    /// <summary>Every 4th row has no sentiment, every 4th (offset 1) no stars.</summary>
    static List<Row> Rows(int count, int offset) => Enumerable.Range(offset, count).Select(i =>
    {
        bool good = i % 2 == 0;
        return new Row
        {
            Text = $"the film was {(good ? Good : Bad)[i % 3]}",
            Sentiment = i % 4 == 0 ? "" : good ? "pos" : "neg",
            Stars = i % 4 == 1 ? float.NaN : good ? 4 : 1,
        };
    }).ToList();

    static FineTuneOptions Options(IDataView validation) => FineTunePersistenceTests.Quick with
    {
        Heads = [new ClassificationHead("sentiment", "Sentiment"), new RegressionHead("stars", "Stars")],
        ValidationSet = validation,
        Training = new TrainingOptions { LearningRate = 3e-3, Epochs = 2, BatchSize = 8, LoggingSteps = 1000 },
    };

    [TestMethod]
    public void RegressionNaNTargetsAreUnlabelledAndValidationScoresEachHeadOnItsLabelledRows()
    {
        var ml = new MLContext(seed: 1);
        var validRows = Rows(12, offset: 100);
        var valid = ml.Data.LoadFromEnumerable(validRows);
        var model = ml.Transforms.FineTune(Options(valid)).Fit(ml.Data.LoadFromEnumerable(Rows(32, offset: 0)));

        var metrics = model.Card.FinalMetrics;
        Assert.IsTrue(metrics.Values.All(double.IsFinite), string.Join(", ", metrics));
        Assert.IsTrue(model.History.Evaluations.Count > 0 && model.History.Evaluations.All(e => e.Metrics.Values.All(double.IsFinite)));

        // The same numbers from the fitted model's predictions on the labelled rows only.
        var scored = model.Transform(valid);
        var keyNames = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["sentiment.PredictedLabel"].GetKeyValues(ref keyNames);
        var names = keyNames.DenseValues().Select(n => n.ToString()).ToArray();
        var predicted = scored.GetColumn<uint>("sentiment.PredictedLabel").Select(k => names[k - 1]).ToArray();
        var stars = scored.GetColumn<float>("stars.Score").ToArray();
        var withSentiment = Enumerable.Range(0, validRows.Count).Where(r => validRows[r].Sentiment.Length > 0).ToArray();
        var withStars = Enumerable.Range(0, validRows.Count).Where(r => !float.IsNaN(validRows[r].Stars)).ToArray();
        Assert.AreEqual(9, withSentiment.Length);
        Assert.AreEqual(9, withStars.Length);
        Assert.AreEqual(withSentiment.Average(r => predicted[r] == validRows[r].Sentiment ? 1.0 : 0.0), metrics["sentiment.accuracy"], 1e-6);
        double mse = withStars.Average(r => Math.Pow(stars[r] - validRows[r].Stars, 2));
        Assert.AreEqual(mse, metrics["stars.mse"], 1e-4 * Math.Max(1, mse));
        Assert.AreEqual(metrics["sentiment.loss"] + metrics["stars.loss"], metrics["loss"], 1e-9);
    }

    [TestMethod]
    public void AnInfiniteRegressionTargetIsStillRefusedWithItsRow()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(8, offset: 0);
        rows[3].Stars = float.PositiveInfinity;
        var options = Options(ml.Data.LoadFromEnumerable(Rows(4, 100))) with { ValidationSet = null };
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ml.Transforms.FineTune(options).Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(e.Message, "row index 3");
        StringAssert.Contains(e.Message, "is not a finite number");
    }
}
