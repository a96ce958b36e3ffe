using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Onnx;
using MLNet.FineTune.Tests.Robustness;
using MLNet.FineTune.Tests.Tokenization;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// <c>TextEmbeddingTransformer.ExportOnnx</c>: encoder + the model's pooling + Matryoshka truncation + L2 normalisation in
/// one graph. MLNet.FineTune.Onnx gives the embedding column with the TorchSharp transformer's values (≤ 1e-5) on padded
/// batches (texts of different lengths, so pads must not count) and on single rows, for every pooling.
/// </summary>
[TestClass]
[DoNotParallelize]
public class EmbeddingOnnxExportTests
{
    sealed class Row { public string Text { get; set; } = ""; }
    sealed class Vector { public float[] E { get; set; } = []; }

    static readonly string[] Texts = ["hello world", "a b c d e new york hello world", "b", "hello , world !", "e d c", "new york hello a", ""];

    static TempFolder checkpoint = null!;

    [ClassInitialize]
    public static void Init(TestContext _) { checkpoint = new TempFolder(); CorpusFixtures.TinyBert(checkpoint.Path); }

    [ClassCleanup]
    public static void Cleanup() => checkpoint.Dispose();

    [TestMethod]
    [DataRow(EmbeddingPooling.Mean, true, 0)]
    [DataRow(EmbeddingPooling.Mean, false, 8)]
    [DataRow(EmbeddingPooling.Cls, false, 0)]
    [DataRow(EmbeddingPooling.Max, true, 8)]
    public void OnnxEmbeddingsEqualTorchSharpOnes(EmbeddingPooling pooling, bool normalize, int dimensions)
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Texts.Select(t => new Row { Text = t }));
        var model = ml.Transforms.TextEmbedding(new TextEmbeddingOptions
        {
            BaseModelFolder = checkpoint.Path, Pooling = pooling, Normalize = normalize, Dimensions = dimensions == 0 ? null : dimensions,
            OutputColumnName = "E", BatchSize = 4,
        }).Fit(data);
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-embed-{Guid.NewGuid():N}.onnx");
        try
        {
            model.ExportOnnx(path);
            using (var session = new InferenceSession(path))
            {
                var metadata = JsonSerializer.Deserialize<JsonElement>(session.ModelMetadata.CustomMetadataMap["mlnet.finetune.embedding"]);
                Assert.AreEqual(pooling.ToString().ToLowerInvariant(), metadata.GetProperty("Pooling").GetString());
                Assert.AreEqual(normalize, metadata.GetProperty("Normalize").GetBoolean());
                Assert.AreEqual(model.Dimensions, metadata.GetProperty("Dimensions").GetInt32());
                CollectionAssert.AreEqual(new[] { "E" }, session.OutputMetadata.Keys.ToArray(), "one output, named after the column");
            }
            using var onnx = ml.Model.LoadFineTuneOnnx(path, batchSize: 4);
            Assert.AreEqual(model.GetOutputSchema(data.Schema)["E"].Type, onnx.GetOutputSchema(data.Schema)["E"].Type);
            var expected = model.Transform(data).GetColumn<float[]>("E").ToArray();
            var batched = onnx.Transform(data).GetColumn<float[]>("E").ToArray();
            Assert.AreEqual(model.Dimensions, batched[0].Length);
            var engine = ml.Model.CreatePredictionEngine<Row, Vector>(onnx);
            var single = Texts.Select(t => engine.Predict(new Row { Text = t }).E).ToArray();
            double worst = 0;
            for (int r = 0; r < Texts.Length; r++)
                for (int i = 0; i < model.Dimensions; i++)
                    worst = Math.Max(worst, Math.Max(Math.Abs(expected[r][i] - batched[r][i]), Math.Abs(expected[r][i] - single[r][i])));
            Console.WriteLine($"{pooling}, normalize {normalize}, {model.Dimensions} dims: max |TorchSharp − ONNX Runtime| = {worst:E2}");
            Assert.IsTrue(worst <= 1e-5, $"largest difference {worst:E2}");
            if (normalize) Assert.AreEqual(1.0, Math.Sqrt(batched[1].Sum(x => (double)x * x)), 1e-5);
        }
        finally { File.Delete(path); }
    }
}
