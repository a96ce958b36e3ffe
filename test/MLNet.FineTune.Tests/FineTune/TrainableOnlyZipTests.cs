using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Data;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.FineTune;

/// <summary>LoRA on a real (tiny) Hugging Face checkpoint, saved as a small adapter-and-heads zip that loads onto its registered base.</summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class TrainableOnlyZipTests
{
    [TestMethod]
    public void TrainableOnlyZipIsSmallNeedsItsBaseAndRefusesADifferentOne()
    {
        var baseFolder = SharedFixtures.HfReference("models/bert-wordpiece");
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(32, seed: 8);
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new FineTuneOptions
        {
            BaseModelFolder = baseFolder, MaxSequenceLength = 32, Peft = new PeftOptions { Method = PeftMethod.Lora },
            Training = new TrainingOptions { Epochs = 1, BatchSize = 16, LearningRate = 1e-3, LoggingSteps = 1000 },
        };
        var full = ml.Transforms.FineTune(options).Fit(data);
        var small = ml.Transforms.FineTune(options with { WeightsInZip = ModelWeights.TrainableOnly }).Fit(data);
        var dir = Path.Combine(Path.GetTempPath(), "mlnft-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            ml.Model.Save(full, data.Schema, Path.Combine(dir, "full.zip"));
            ml.Model.Save(small, data.Schema, Path.Combine(dir, "small.zip"));
            long fullBytes = new FileInfo(Path.Combine(dir, "full.zip")).Length, smallBytes = new FileInfo(Path.Combine(dir, "small.zip")).Length;
            Assert.IsTrue(smallBytes * 5 < fullBytes, $"trainable-only zip {smallBytes:N0} bytes vs full {fullBytes:N0}");

            // A different base with the same folder name: refused by hash.
            var fake = Path.Combine(dir, "bert-wordpiece");
            Directory.CreateDirectory(fake);
            foreach (var f in Directory.GetFiles(baseFolder)) File.Copy(f, Path.Combine(fake, Path.GetFileName(f)));
            var tensors = SafetensorsReader.Open(Path.Combine(fake, "model.safetensors")).ReadAll();
            tensors["pooler.dense.bias"].add_(1f);
            SafetensorsWriter.Save(Path.Combine(fake, "model.safetensors"), tensors);
            FineTuneModels.RegisterBaseModelFolder(fake);
            var wrong = Assert.Throws<Exception>(() => new MLContext().Model.Load(Path.Combine(dir, "small.zip"), out _));
            StringAssert.Contains(Flatten(wrong), "holds different weights");

            FineTuneModels.RegisterBaseModelFolder(baseFolder);
            var loaded = new MLContext().Model.Load(Path.Combine(dir, "small.zip"), out _);
            var a = small.Transform(data).GetColumn<float>("Score").ToArray();
            var b = loaded.Transform(data).GetColumn<float>("Score").ToArray();
            for (int i = 0; i < a.Length; i++) Assert.AreEqual(a[i], b[i], 1e-6);
        }
        finally { Directory.Delete(dir, true); }
    }

    static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);
}
