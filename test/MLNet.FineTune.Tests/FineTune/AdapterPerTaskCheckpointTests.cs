using Microsoft.ML;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.FineTune;

/// <summary>Per-task adapters on a real (tiny) Hugging Face checkpoint: trainable-only zips, per-task PEFT export, parallel scoring.</summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class AdapterPerTaskCheckpointTests
{
    static FineTuneOptions Options(string baseFolder, PeftMethod method, ModelWeights weights) => new()
    {
        BaseModelFolder = baseFolder, MaxSequenceLength = 32, Heads = MultiTaskRow.Heads(), WeightsInZip = weights,
        Peft = new PeftOptions { Method = method, AdapterPerTask = true },
        Training = new TrainingOptions { Epochs = 1, BatchSize = 8, LearningRate = 1e-3, LoggingSteps = 1000, TaskSampling = TaskSampling.Proportional },
    };

    [TestMethod]
    [DataRow(PeftMethod.Lora, ModelWeights.Full)]
    [DataRow(PeftMethod.Lora, ModelWeights.TrainableOnly)]
    [DataRow(PeftMethod.Houlsby, ModelWeights.TrainableOnly)]
    public void ZipReloadsOntoTheRegisteredBaseWithIdenticalScores(PeftMethod method, ModelWeights weights)
    {
        var baseFolder = SharedFixtures.HfReference("models/bert-wordpiece");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(MultiTaskRow.Generate(24, 16, seed: 3));
        using var model = ml.Transforms.FineTune(Options(baseFolder, method, weights)).Fit(data);
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.zip");
        // The registry is process-wide: other tests expect this base to be unregistered.
        FineTuneModels.RegisterBaseModelFolder(baseFolder);
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var loaded = new MLContext().Model.Load(path, out _);
            AdapterPerTaskTests.AssertSameScores(model.Transform(data), loaded.Transform(data));
            ((IDisposable)loaded).Dispose();
        }
        finally
        {
            File.Delete(path);
            FineTuneModels.UnregisterBaseModelFolder(baseFolder);
        }
    }

    [TestMethod]
    public void EachTaskExportsItsOwnLoraAdapterAndHeadInPeftFormat()
    {
        var baseFolder = SharedFixtures.HfReference("models/bert-wordpiece");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(MultiTaskRow.Generate(24, 16, seed: 3));
        using var model = ml.Transforms.FineTune(Options(baseFolder, PeftMethod.Lora, ModelWeights.Full)).Fit(data);
        var dir = Path.Combine(Path.GetTempPath(), "mlnft-" + Guid.NewGuid().ToString("N"));
        try
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => model.SaveLoraAdapter(dir));
            StringAssert.Contains(e.Message, "name one of: sentiment, topic");
            foreach (var (task, other) in new[] { ("sentiment", "topic"), ("topic", "sentiment") })
            {
                model.SaveLoraAdapter(Path.Combine(dir, task), task);
                var keys = SafetensorsReader.Open(Path.Combine(dir, task, LoraAdapterFile.WeightsFile)).Entries.Keys.ToList();
                Assert.IsTrue(keys.Any(k => k.StartsWith($"base_model.model.{task}.")), $"{task}'s head: {string.Join(", ", keys)}");
                Assert.IsFalse(keys.Any(k => k.Contains(other)), $"nothing of {other}: {string.Join(", ", keys)}");
                Assert.IsTrue(keys.Any(k => k.EndsWith(".lora_B.weight")));
                var layer = model.Network.Peft!.Lora!.Layers["encoder.layer.0.attention.self.query"];
                using var saved = SafetensorsReader.Open(Path.Combine(dir, task, LoraAdapterFile.WeightsFile))
                    .ReadTensor("base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight");
                Assert.AreEqual(0.0, HfReference.MaxAbsDiff(layer.LoraB(task).weight!, saved), $"{task}'s own B matrix");
            }
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void ParallelScoringGivesEachThreadItsOwnTaskAdapters()
    {
        var baseFolder = SharedFixtures.HfReference("models/bert-wordpiece");
        var ml = new MLContext(seed: 1);
        var rows = MultiTaskRow.Generate(24, 16, seed: 3);
        using var model = ml.Transforms.FineTune(Options(baseFolder, PeftMethod.Houlsby, ModelWeights.Full)).Fit(ml.Data.LoadFromEnumerable(rows));
        var texts = rows.Select(r => r.Text).ToArray();
        var expected = model.Scorer.Score([texts]);
        var results = new Array[8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i] = model.Scorer.Score([texts]));
        foreach (var result in results)
            for (int c = 0; c < expected.Length; c++)
                CollectionAssert.AreEqual(Flatten(expected[c]), Flatten(result[c]), $"column {model.Scorer.OutputColumns[c].Name}");
    }

    static object[] Flatten(Array column) => column.Cast<object>().Select(v => v is Array a ? string.Join(",", a.Cast<object>()) : v).ToArray();
}
