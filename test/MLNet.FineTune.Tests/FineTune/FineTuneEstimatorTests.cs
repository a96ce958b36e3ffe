using MLNet.FineTune.Modeling;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Data;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.FineTune;

[TestClass]
[DoNotParallelize]
public class FineTuneEstimatorTests
{
    static readonly BuiltInModelOptions Tiny = new() { HiddenSize = 32, Layers = 1, AttentionHeads = 2, IntermediateSize = 64, VocabularySize = 500, MaxPositions = 64 };

    static FineTuneOptions FastOptions => new()
    {
        BuiltInModel = Tiny, MaxSequenceLength = 32,
        // From scratch, the tiny model sits on a loss plateau for ~120 steps before it finds the opinion words.
        Training = new TrainingOptions { LearningRate = 3e-3, Epochs = 10, BatchSize = 16, WarmupRatio = 0.1, LoggingSteps = 1000 },
    };

    [TestMethod]
    public void BinarySentimentLearnsAndEvaluatesWithMLNet()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(400, seed: 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(200, seed: 2));
        var model = ml.Transforms.FineTune(FastOptions).Fit(train);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(test));
        Assert.IsTrue(metrics.Accuracy > 0.7, $"accuracy {metrics.Accuracy:F3} should be well above chance (0.5)");
        Assert.IsTrue(model.History.Steps.Count > 0);
        Assert.IsTrue(model.History.Steps[^1].Loss < model.History.Steps[0].Loss, "training loss should go down");
    }

    sealed class TopicRow { public string Text { get; set; } = ""; public string Topic { get; set; } = ""; }

    [TestMethod]
    public void StringLabelsGiveMulticlassOutputsWithOriginalKeyValues()
    {
        var ml = new MLContext(seed: 1);
        string[] topics = { "sport", "food", "music" };
        string[][] words = { new[] { "goal", "match", "team", "score" }, new[] { "pasta", "bread", "soup", "spicy" }, new[] { "guitar", "song", "drums", "melody" } };
        var random = new Random(3);
        var rows = Enumerable.Range(0, 240).Select(i => { int t = i % 3; return new TopicRow { Topic = topics[t], Text = $"we talked about the {words[t][random.Next(4)]} and the {words[t][random.Next(4)]}" }; }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", "Topic")
            .Append(ml.Transforms.FineTune(FastOptions))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedTopic", "PredictedLabel"));
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.IsTrue(metrics.MacroAccuracy > 0.9, $"macro accuracy {metrics.MacroAccuracy:F3}");
        var predicted = scored.GetColumn<ReadOnlyMemory<char>>("PredictedTopic").Select(p => p.ToString()).ToList();
        CollectionAssert.IsSubsetOf(predicted.Distinct().ToList(), topics);
        var score = scored.Schema["Score"];
        Assert.AreEqual(3, ((VectorDataViewType)score.Type).Size);
    }

    [TestMethod]
    public void WrongColumnTypesFailBeforeTrainingNamingColumnAndTypes()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = 1.5f, Label = true } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.FineTune().Fit(data));
        StringAssert.Contains(e.Message, "Text column 'Text' has type Single; expected String");
        var missing = ml.Data.LoadFromEnumerable(new[] { new { Text = "a", Other = true } });
        var e2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.FineTune().Fit(missing));
        StringAssert.Contains(e2.Message, "Label column 'Label' not found");
    }

    [TestMethod]
    public void FitDoesNotMutateOptionsAndSeedMakesRunsIdentical()
    {
        var ml = new MLContext(seed: 1);
        var options = FastOptions with { Training = FastOptions.Training! with { Epochs = 1 } };
        var before = options with { };
        var data = ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(64, seed: 5));
        var a = ml.Transforms.FineTune(options).Fit(data);
        var b = ml.Transforms.FineTune(options).Fit(data);
        Assert.AreEqual(before, options);
        var pa = a.Network.named_parameters().ToList();
        var pb = b.Network.named_parameters().ToList();
        for (int i = 0; i < pa.Count; i++) Assert.AreEqual(0.0, HfReference.MaxAbsDiff(pa[i].parameter, pb[i].parameter), pa[i].name);
    }
}
