using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Data;
using MLNet.FineTune.Samples;

namespace MLNet.FineTune.Tests.FineTune;

[TestClass]
[DoNotParallelize]
public class ConcurrentScoringTests
{
    public sealed class Prediction { public float Score { get; set; } public bool PredictedLabel { get; set; } }

    [TestMethod]
    public void FourThreadsScoringAReloadedModelAgreeWithBatchedTransform()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(200, seed: 11);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick).Fit(data);
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var expected = model.Transform(data).GetColumn<float>("Score").ToArray();
            using var predictor = ThreadSafePredictor<SentimentRow, Prediction>.Load(new MLContext(), path);
            var actual = new float[rows.Count];
            Parallel.For(0, rows.Count * 3, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => actual[i % rows.Count] = predictor.Predict(rows[i % rows.Count]).Score);
            for (int i = 0; i < rows.Count; i++) Assert.AreEqual(expected[i], actual[i], 1e-5, $"row {i}");
            Assert.IsTrue(predictor.EnginesCreated is >= 1 and <= 4, $"engines {predictor.EnginesCreated}");
        }
        finally { File.Delete(path); }
    }
}
