using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Tokenization;
using Microsoft.ML.OnnxRuntime;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.FineTune;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// <c>FineTuneTransformer.ExportOnnx</c> on a model fitted through ML.NET: the file loads in ONNX Runtime, its outputs
/// are the transformer's own Score / Probability / PredictedLabel for the same texts (tokenized by the model's
/// tokenizer), its metadata carries the label names, model card, scoring settings and tokenizer files, and the write is atomic.
/// </summary>
[TestClass]
[DoNotParallelize]
public class ExportOnnxTransformerTests
{
    [TestMethod]
    public void ExportedSentimentModelScoresLikeTheTransformer()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(48, seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick).Fit(data);
        var folder = Directory.CreateTempSubdirectory("mlnft-onnx-");
        try
        {
            var path = Path.Combine(folder.FullName, "sentiment.onnx");
            File.WriteAllText(path, "an older file the export replaces");
            model.ExportOnnx(path);
            Assert.AreEqual(1, folder.GetFiles("*", SearchOption.AllDirectories).Length, "no temp file is left beside the export");

            using var session = new InferenceSession(path);
            var metadata = session.ModelMetadata.CustomMetadataMap;
            Assert.AreEqual("1", metadata["mlnet.finetune.format"]);
            var labels = JsonSerializer.Deserialize<Dictionary<string, string[]>>(metadata["label_names"])!;
            CollectionAssert.AreEqual(new[] { "False", "True" }, labels.Single().Value);
            Assert.AreEqual(model.Card.TrainingDataSha256, JsonSerializer.Deserialize<ModelCard>(metadata["mlnet.finetune.model_card"])!.TrainingDataSha256);
            StringAssert.Contains(metadata["mlnet.finetune.settings"], "\"MaxSequenceLength\":32");
            Assert.IsTrue(metadata.Keys.Any(k => k.StartsWith("mlnet.finetune.tokenizer/", StringComparison.Ordinal)), "the tokenizer files travel with the graph");

            var texts = rows.Take(9).Select(r => r.Text).ToList();
            var scorer = (FineTuneScorer)model.Scorer;
            var encodings = scorer.Encode(texts, null);
            int t = encodings.Max(e => e.Length);
            long[] Pad(Func<EncodedInput, long[]> pick, long pad) =>
                encodings.SelectMany(e => pick(e).Concat(Enumerable.Repeat(pad, t - e.Length))).ToArray();
            var batch = (Pad(e => e.InputIds.Select(i => (long)i).ToArray(), model.Package.Tokenizer.PadTokenId),
                Pad(e => e.AttentionMask.Select(i => (long)i).ToArray(), 0), Pad(e => e.TokenTypeIds.Select(i => (long)i).ToArray(), 0), texts.Count, t);
            var ort = ExportTestNetworks.OnnxRuntime(session, batch);

            var scored = model.Transform(ml.Data.LoadFromEnumerable(rows.Take(9)));
            var score = scored.GetColumn<float>("Score").ToArray();
            var probability = scored.GetColumn<float>("Probability").ToArray();
            var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
            for (int i = 0; i < texts.Count; i++)
            {
                Assert.AreEqual(score[i], ((float[])ort["Score"])[i], 1e-5, $"Score, row {i}");
                Assert.AreEqual(probability[i], ((float[])ort["Probability"])[i], 1e-5, $"Probability, row {i}");
            }
            CollectionAssert.AreEqual(predicted, (bool[])ort["PredictedLabel"]);
        }
        finally { folder.Delete(recursive: true); }
    }

    [TestMethod]
    public void ExportToAMissingFolderNamesIt()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(32, seed: 4));
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick with { Training = FineTunePersistenceTests.Quick.Training! with { Epochs = 1 } }).Fit(data);
        var missing = Path.Combine(Path.GetTempPath(), $"mlnft-missing-{Guid.NewGuid():N}", "model.onnx");
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => model.ExportOnnx(missing));
        StringAssert.Contains(e.Message, Path.GetDirectoryName(missing)!);
    }
}
