using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Data;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.FineTune;

/// <summary>The estimator workout (in the spirit of ML.NET's TestEstimatorCore) plus FineTune-specific save/load checks.</summary>
[TestClass]
[DoNotParallelize]
public class FineTunePersistenceTests
{
    internal static FineTuneOptions Quick => new()
    {
        BuiltInModel = new() { HiddenSize = 32, Layers = 1, AttentionHeads = 2, IntermediateSize = 64, VocabularySize = 300, MaxPositions = 64 },
        MaxSequenceLength = 32, Training = new TrainingOptions { LearningRate = 3e-3, Epochs = 2, BatchSize = 16, LoggingSteps = 1000 },
    };

    [TestMethod]
    public void PipelineWithFineTuneSavesToOneZipAndReloadsWithIdenticalSchemaAndScores()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(96, seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        // ML.NET transforms before and after FineTune.
        var pipeline = ml.Transforms.CopyColumns("Review", "Text")
            .Append(ml.Transforms.FineTune(Quick with { TextColumnName = "Review" }))
            .Append(ml.Transforms.CopyColumns("Confidence", "Probability"));
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var fresh = new MLContext(seed: 7);
            var loaded = fresh.Model.Load(path, out var inputSchema);
            Assert.AreEqual(data.Schema.Count, inputSchema.Count);
            var reScored = loaded.Transform(fresh.Data.LoadFromEnumerable(rows));
            CollectionAssert.AreEqual(scored.Schema.Select(c => $"{c.Name}:{c.Type}").ToArray(), reScored.Schema.Select(c => $"{c.Name}:{c.Type}").ToArray());
            var before = scored.GetColumn<float>("Score").ToArray();
            var after = reScored.GetColumn<float>("Score").ToArray();
            for (int i = 0; i < before.Length; i++) Assert.AreEqual(before[i], after[i], 1e-6, $"row {i}");
            CollectionAssert.AreEqual(scored.GetColumn<bool>("PredictedLabel").ToArray(), reScored.GetColumn<bool>("PredictedLabel").ToArray());

            // PredictionEngine on the reloaded model agrees with batched Transform.
            var engine = fresh.Model.CreatePredictionEngine<SentimentRow, Prediction>(loaded);
            for (int i = 0; i < 5; i++) Assert.AreEqual(before[i], engine.Predict(rows[i]).Score, 1e-5, $"engine row {i}");
        }
        finally { File.Delete(path); }
    }

    public sealed class Prediction { public float Score { get; set; } public float Probability { get; set; } public bool PredictedLabel { get; set; } }

    [TestMethod]
    public void ModelZipCarriesModelCardAndRefusesTampering()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(48, seed: 4));
        var model = ml.Transforms.FineTune(Quick).Fit(data);
        Assert.AreEqual("builtin", model.Card.BaseModel);
        Assert.AreEqual(48, model.Card.TrainingRows);
        Assert.AreEqual(64, model.Card.TrainingDataSha256.Length);
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.SaveAtomic(model, data.Schema, path);
            var loaded = (FineTuneTransformer)new MLContext().Model.Load(path, out _);
            Assert.AreEqual(model.Card.TrainingDataSha256, loaded.Card.TrainingDataSha256);
            Assert.AreEqual(model.Card.Parameters, loaded.Card.Parameters);

            // Flip bytes inside the stored weights: the entry's SHA-256 no longer matches.
            using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
            {
                var entry = zip.Entries.First(e => e.FullName.Contains("weights/model.safetensors"));
                byte[] bytes;
                using (var s = entry.Open()) { using var ms = new MemoryStream(); s.CopyTo(ms); bytes = ms.ToArray(); }
                bytes[^10] ^= 0xFF;
                var name = entry.FullName;
                entry.Delete();
                using var w = zip.CreateEntry(name).Open();
                w.Write(bytes);
            }
            var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(path, out _));
            StringAssert.Contains(Flatten(e), "weights/model.safetensors");
        }
        finally { File.Delete(path); }
    }

    static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);
}
