using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Onnx;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.FineTune;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// MLNet.FineTune.Onnx's <see cref="OnnxThreadSafePredictor{TSrc, TDst}"/>: eight threads scoring rows of an exported
/// sentiment model give what one thread gives row by row, the pool holds at most one engine per concurrent caller, and
/// a disposed predictor says so.
/// </summary>
[TestClass]
[DoNotParallelize]
public class OnnxThreadSafePredictorTests
{
    public sealed class Prediction { public float Score { get; set; } public float Probability { get; set; } public bool PredictedLabel { get; set; } }

    [TestMethod]
    public void ManyThreadsScoreAsOneThreadDoes()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(120, seed: 11);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick).Fit(data);
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.onnx");
        try
        {
            model.ExportOnnx(path);
            var predictor = OnnxThreadSafePredictor<SentimentRow, Prediction>.Load(new MLContext(), path);
            var sequential = rows.Select(predictor.Predict).ToArray();
            Assert.AreEqual(1, predictor.EnginesCreated, "one caller, one engine");
            var parallel = new Prediction[rows.Count * 4];
            Parallel.For(0, parallel.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = predictor.Predict(rows[i % rows.Count]));
            for (int i = 0; i < parallel.Length; i++)
            {
                var (a, b) = (sequential[i % rows.Count], parallel[i]);
                Assert.AreEqual(a.Score, b.Score, 1e-6, $"call {i}");
                Assert.AreEqual(a.Probability, b.Probability, 1e-6, $"call {i}");
                Assert.AreEqual(a.PredictedLabel, b.PredictedLabel, $"call {i}");
            }
            Assert.IsTrue(predictor.EnginesCreated is >= 1 and <= 8, $"engines {predictor.EnginesCreated}");
            // And what the TorchSharp transformer gives for the same rows.
            var expected = model.Transform(data).GetColumn<float>("Probability").ToArray();
            for (int i = 0; i < rows.Count; i++) Assert.AreEqual(expected[i], sequential[i].Probability, 1e-5, $"row {i}");
            predictor.Dispose();
            Assert.ThrowsExactly<ObjectDisposedException>(() => predictor.Predict(rows[0]));
        }
        finally { File.Delete(path); }
    }
}
