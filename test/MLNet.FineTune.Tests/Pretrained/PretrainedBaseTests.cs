using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Pretrained;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Pretrained;

/// <summary>
/// Every task and every PEFT method on a real pretrained base (all-MiniLM-L6-v2 from its NuGet package, imported from
/// ONNX): two optimizer steps each, then scores that are well-formed and a model that saves and reloads. Learning
/// itself is shown by the benchmarks (docs/benchmarks.md); these pin that nothing breaks on a pretrained base.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class PretrainedBaseTests
{
    static FineTuneOptions Quick(PeftMethod method = PeftMethod.Full) => new()
    {
        BaseModel = PretrainedModels.AllMiniLmL6V2, MaxSequenceLength = 24, Peft = new PeftOptions { Method = method },
        Training = new TrainingOptions { MaxSteps = 2, BatchSize = 4, LoggingSteps = 1000, LearningRate = 5e-5 },
    };

    static IDataView Sentiment(MLContext ml) => ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(16, seed: 5));

    [TestMethod]
    [DataRow(PeftMethod.Full)]
    [DataRow(PeftMethod.HeadOnly)]
    [DataRow(PeftMethod.BitFit)]
    [DataRow(PeftMethod.Lora)]
    [DataRow(PeftMethod.Houlsby)]
    [DataRow(PeftMethod.Pfeiffer)]
    [DataRow(PeftMethod.PromptTuning)]
    public void EveryPeftMethodFineTunesMiniLm(PeftMethod method)
    {
        var ml = new MLContext(seed: 1);
        var data = Sentiment(ml);
        var model = ml.Transforms.FineTune(Quick(method)).Fit(data);
        Assert.AreEqual(2, model.History.Steps.Count);
        Assert.IsTrue(model.History.Steps.All(s => double.IsFinite(s.Loss)), "finite losses");
        Assert.AreEqual("sentence-transformers/all-MiniLM-L6-v2", model.Card.BaseModel);
        Assert.AreEqual("Apache-2.0", model.Card.BaseModelLicense);
        Assert.AreEqual("mean", model.Card.BaseModelPooling);
        StringAssert.Contains(model.Card.PeftMethod, method.ToString());
        var probabilities = model.Transform(data).GetColumn<float>("Probability").ToArray();
        Assert.IsTrue(probabilities.All(p => p is >= 0 and <= 1), string.Join(", ", probabilities));
        var reloaded = MLNet.FineTune.Tests.Persistence.ModelZip.Reload<FineTuneTransformer>(ml, model, data.Schema);
        CollectionAssert.AreEqual(probabilities, reloaded.Transform(data).GetColumn<float>("Probability").ToArray());
    }

    sealed class PairRow { public string Text { get; set; } = ""; public string Text2 { get; set; } = ""; public bool Label { get; set; } public float Similarity { get; set; } }

    [TestMethod]
    public void SentencePairsAndRegressionOnMiniLm()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 12).Select(i => new PairRow
        {
            Text = $"the film number {i} was good", Text2 = i % 2 == 0 ? $"film {i} was fine" : "the weather is cold", Label = i % 2 == 0, Similarity = i % 2 == 0 ? 4.5f : 0.5f,
        }));
        var pairs = ml.Transforms.FineTune(Quick() with { SecondTextColumnName = "Text2" }).Fit(data);
        Assert.AreEqual(12, pairs.Transform(data).GetColumn<bool>("PredictedLabel").Count());
        var regression = ml.Transforms.FineTune(Quick() with { SecondTextColumnName = "Text2", Task = FineTuneTask.Regression, LabelColumnName = "Similarity" }).Fit(data);
        Assert.IsTrue(regression.Transform(data).GetColumn<float>("Score").All(float.IsFinite));
    }

    sealed class NerRow { public string Text { get; set; } = ""; public string Tags { get; set; } = ""; public string Sentiment { get; set; } = ""; }

    [TestMethod]
    public void EntitiesAndMultiTaskOnMiniLm()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 12).Select(i => i % 2 == 0
            ? new NerRow { Text = "Alice Smith flew to Paris yesterday", Tags = "B-PER I-PER O O B-LOC O", Sentiment = "pos" }
            : new NerRow { Text = "In Berlin , Bob was sad", Tags = "O B-LOC O B-PER O O", Sentiment = "neg" }));
        var ner = ml.Transforms.FineTune(Quick() with { Heads = [new TokenClassificationHead("ner", "Tags")] }).Fit(data);
        var tags = ner.Transform(data).GetColumn<VBuffer<ReadOnlyMemory<char>>>("PredictedTags").ToArray();
        Assert.AreEqual(6, tags[0].Length, "one tag per word");
        var both = ml.Transforms.FineTune(Quick(PeftMethod.Lora) with
        {
            Heads = [new ClassificationHead("sentiment", "Sentiment"), new TokenClassificationHead("ner", "Tags")],
        }).Fit(data);
        var scored = both.Transform(data);
        Assert.AreEqual(12, scored.GetColumn<uint>("sentiment.PredictedLabel").Count());
        Assert.AreEqual(12, scored.GetColumn<VBuffer<ReadOnlyMemory<char>>>("ner.PredictedTags").Count());
    }

    [TestMethod]
    public void TrainableOnlyZipNeedsTheRegisteredPretrainedBaseAndLoraExportNamesTheHubModel()
    {
        var ml = new MLContext(seed: 1);
        var data = Sentiment(ml);
        var model = ml.Transforms.FineTune(Quick(PeftMethod.Lora) with { WeightsInZip = ModelWeights.TrainableOnly }).Fit(data);
        var expected = model.Transform(data).GetColumn<float>("Probability").ToArray();
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        Assert.IsTrue(stream.Length < 5_000_000, $"adapter-only zip is {stream.Length:N0} bytes (the base is ~90 MB)");
        FineTuneModels.RegisterBaseModel(PretrainedModels.AllMiniLmL6V2);
        try
        {
            stream.Position = 0;
            var loaded = ml.Model.Load(stream, out _);
            CollectionAssert.AreEqual(expected, loaded.Transform(data).GetColumn<float>("Probability").ToArray());
        }
        finally { FineTuneModels.UnregisterBaseModelFolder(PretrainedModels.AllMiniLmL6V2.GetFolder()); }

        var folder = Path.Combine(Path.GetTempPath(), "mlnft-lora-" + Guid.NewGuid().ToString("N"));
        try
        {
            model.SaveLoraAdapter(folder);
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json")))!;
            Assert.AreEqual("sentence-transformers/all-MiniLM-L6-v2", (string?)config["base_model_name_or_path"], "a Python user can from_pretrained this");
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }
}
