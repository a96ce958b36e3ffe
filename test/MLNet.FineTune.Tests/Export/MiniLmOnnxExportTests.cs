using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Onnx;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Pretrained;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// all-MiniLM-L6-v2 fine-tuned with LoRA for two steps, exported and scored by MLNet.FineTune.Onnx: the ONNX scores
/// match the TorchSharp transformer's within 1e-5 on real text (real WordPiece vocabulary, 6 layers, 384 hidden).
/// </summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class MiniLmOnnxExportTests
{
    [TestMethod]
    public void LoraFineTunedMiniLmScoresTheSameInOnnxRuntime()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(16, seed: 5);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.FineTune(new FineTuneOptions
        {
            BaseModel = PretrainedModels.AllMiniLmL6V2, MaxSequenceLength = 24, Peft = new PeftOptions { Method = PeftMethod.Lora },
            Training = new TrainingOptions { MaxSteps = 2, BatchSize = 4, LoggingSteps = 1000, LearningRate = 5e-4 },
        }).Fit(data);
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-minilm-{Guid.NewGuid():N}.onnx");
        try
        {
            var watch = Stopwatch.StartNew();
            model.ExportOnnx(path);
            var exportSeconds = watch.Elapsed.TotalSeconds;
            using var onnx = ml.Model.LoadFineTuneOnnx(path);
            var expected = model.Transform(data).GetColumn<float>("Probability").ToArray();
            var actual = onnx.Transform(data).GetColumn<float>("Probability").ToArray();
            double worst = expected.Zip(actual, (a, b) => (double)Math.Abs(a - b)).Max();
            Console.WriteLine($"MiniLM + LoRA: {new FileInfo(path).Length / 1e6:F1} MB ONNX written in {exportSeconds:F1} s; max |TorchSharp − ONNX Runtime| Probability = {worst:E2}");
            Assert.IsTrue(worst < 1e-5, $"Probability differs by {worst:E2}");
            CollectionAssert.AreEqual(model.Transform(data).GetColumn<bool>("PredictedLabel").ToArray(), onnx.Transform(data).GetColumn<bool>("PredictedLabel").ToArray());
        }
        finally { File.Delete(path); }
    }

    sealed class TextRow { public string Text { get; set; } = ""; }

    [TestMethod]
    public void MiniLmEmbeddingsAreTheSameInOnnxRuntime()
    {
        var ml = new MLContext(seed: 1);
        string[] texts = ["The cat sits on the mat.", "A man is playing a guitar.", "hello", "Stock markets fell sharply on Monday after the announcement."];
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }));
        var model = ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModel = PretrainedModels.AllMiniLmL6V2, BatchSize = 4 }).Fit(data);
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-minilm-embed-{Guid.NewGuid():N}.onnx");
        try
        {
            model.ExportOnnx(path);
            using var onnx = ml.Model.LoadFineTuneOnnx(path);
            var expected = model.Transform(data).GetColumn<float[]>("Embedding").ToArray();
            var actual = onnx.Transform(data).GetColumn<float[]>("Embedding").ToArray();
            double worst = expected.Zip(actual, (a, b) => a.Zip(b, (x, y) => (double)Math.Abs(x - y)).Max()).Max();
            Console.WriteLine($"all-MiniLM-L6-v2 embeddings: max |TorchSharp − ONNX Runtime| = {worst:E2}");
            Assert.AreEqual(384, actual[0].Length);
            Assert.IsTrue(worst < 1e-5, $"embeddings differ by {worst:E2}");
        }
        finally { File.Delete(path); }
    }
}
