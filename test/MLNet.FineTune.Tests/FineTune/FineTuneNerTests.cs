using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Data;
using MLNet.FineTune.Evaluation;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.FineTune;

[TestClass]
[DoNotParallelize]
public class FineTuneNerTests
{
    internal sealed class NerRow { public string Text { get; set; } = ""; public string Tags { get; set; } = ""; public string Sentiment { get; set; } = ""; }

    static readonly string[] People = { "Alice", "Bob", "Carla", "Dmitri", "Erin" };
    static readonly string[] Cities = { "Paris", "Berlin", "Lagos", "Lima", "Osaka" };

    internal static List<NerRow> Synthetic(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ =>
        {
            var person = People[r.Next(People.Length)]; var city = Cities[r.Next(Cities.Length)];
            bool happy = r.Next(2) == 0;
            return r.Next(2) == 0
                ? new NerRow { Text = $"{person} Smith flew to {city} yesterday", Tags = "B-PER I-PER O O B-LOC O", Sentiment = happy ? "pos" : "neg" }
                : new NerRow { Text = $"In {city} , {person} was {(happy ? "happy" : "sad")}", Tags = "O B-LOC O B-PER O O", Sentiment = happy ? "pos" : "neg" };
        }).ToList();
    }

    static FineTuneOptions NerOptions(IReadOnlyList<ITaskHead> heads) => FineTunePersistenceTests.Quick with
    {
        Heads = heads, Training = new TrainingOptions { LearningRate = 3e-3, Epochs = 8, BatchSize = 16, LoggingSteps = 1000 },
    };

    [TestMethod]
    public void TokenClassificationLearnsEntitiesWithCharacterSpansAndSavesToZip()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Synthetic(160, 1));
        var test = ml.Data.LoadFromEnumerable(Synthetic(40, 2));
        var model = ml.Transforms.FineTune(NerOptions(new[] { new TokenClassificationHead() })).Fit(train);
        var scored = model.Transform(test);
        var report = EntityEvaluator.Evaluate(scored);
        Assert.IsTrue(report.Micro.F1 > 0.8, $"entity F1 {report.Micro.F1:F3}");
        var types = scored.GetColumn<VBuffer<ReadOnlyMemory<char>>>("EntityTypes").First().DenseValues().Select(t => t.ToString()).ToList();
        var texts = scored.GetColumn<VBuffer<ReadOnlyMemory<char>>>("EntityTexts").First().DenseValues().Select(t => t.ToString()).ToList();
        var starts = scored.GetColumn<VBuffer<int>>("EntityStarts").First().DenseValues().ToList();
        var sentence = Synthetic(40, 2)[0].Text;
        for (int i = 0; i < texts.Count; i++) Assert.AreEqual(texts[i], sentence.Substring(starts[i], texts[i].Length), "span offsets point into the text");
        CollectionAssert.Contains(types, "LOC");

        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, train.Schema, path);
            var reloaded = new MLContext().Model.Load(path, out _);
            Assert.AreEqual(report.Micro.F1, EntityEvaluator.Evaluate(reloaded.Transform(test)).Micro.F1, 1e-9);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void MultiTaskRunsOneEncoderForSentimentAndEntities()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic(160, 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        var heads = new ITaskHead[] { new ClassificationHead("sentiment", "Sentiment"), new TokenClassificationHead("ner", "Tags") };
        var model = ml.Transforms.FineTune(NerOptions(heads)).Fit(data);
        Assert.AreEqual(1, model.Network.named_children().Count(c => c.name == "bert"), "one shared encoder");
        var scored = model.Transform(data);
        Assert.IsNotNull(scored.Schema.GetColumnOrNull("sentiment.PredictedLabel"));
        Assert.IsNotNull(scored.Schema.GetColumnOrNull("ner.PredictedTags"));
        Assert.IsTrue(EntityEvaluator.Evaluate(scored, "Tags", "ner.PredictedTags").Micro.F1 > 0.8);
        var predicted = scored.GetColumn<uint>("sentiment.PredictedLabel").ToArray();
        var truth = rows.Select(r => r.Sentiment == "pos").ToArray();
        var keyNames = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["sentiment.PredictedLabel"].GetKeyValues(ref keyNames);
        var names = keyNames.DenseValues().Select(n => n.ToString()).ToArray();
        double acc = predicted.Select((p, i) => (names[p - 1] == "pos") == truth[i]).Average(b => b ? 1.0 : 0.0);
        Assert.IsTrue(acc > 0.5, $"sentiment accuracy {acc}");
    }

    [TestMethod]
    public void WrongTagCountFailsWithSpecificMessage()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new NerRow { Text = "Alice went home", Tags = "B-PER O" }, new NerRow { Text = "Bob", Tags = "B-PER" } });
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ml.Transforms.FineTune(NerOptions(new[] { new TokenClassificationHead() })).Fit(data));
        StringAssert.Contains(e.Message, "2 tags for 3 words");
    }

    [TestMethod]
    [TestCategory("Integration")]
    public void ShortConll2003RunBeatsTheMajorityTagBaseline()
    {
        var sentences = ConllReader.ReadFile(SharedFixtures.Require("data/conll2003/train.txt"), ConllReaderOptions.Conll2003);
        var test = ConllReader.ReadFile(SharedFixtures.Require("data/conll2003/valid.txt"), ConllReaderOptions.Conll2003).Take(300);
        var ml = new MLContext(seed: 1);
        var train = sentences.Take(1500).ToDataView(ml, ConllColumns.TextAndTags);
        var options = FineTunePersistenceTests.Quick with
        {
            Heads = new[] { new TokenClassificationHead() }, MaxSequenceLength = 64,
            BuiltInModel = new() { HiddenSize = 64, Layers = 2, AttentionHeads = 2, IntermediateSize = 128, VocabularySize = 4000, MaxPositions = 128 },
            Training = new TrainingOptions { LearningRate = 2e-3, Epochs = 3, BatchSize = 32, LoggingSteps = 1000, WarmupRatio = 0.1 },
        };
        var model = ml.Transforms.FineTune(options).Fit(train);
        var report = EntityEvaluator.Evaluate(model.Transform(test.ToDataView(ml, ConllColumns.TextAndTags)));
        Console.WriteLine(report.Format());
        // Tagging every word "O" (the majority tag) finds no entity: F1 0.
        Assert.IsTrue(report.Micro.F1 > 0.3, $"entity F1 {report.Micro.F1:F3}");
    }
}
