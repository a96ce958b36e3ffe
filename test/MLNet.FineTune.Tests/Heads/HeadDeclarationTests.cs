using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Heads.TokenTagging;
using MLNet.FineTune.Tests.FineTune;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Heads;

/// <summary>
/// Heads as the user declares them (immutable records) versus what Fit learns (fitted heads): declarations are never
/// changed, output columns are known before Fit, saved heads come back through their kind's registered loader, and
/// per-head training settings (loss weight, label smoothing) travel with the head.
/// </summary>
[TestClass]
[DoNotParallelize]
public class HeadDeclarationTests
{
    sealed class Row
    {
        public string Text { get; set; } = "";
        public bool Flag { get; set; }
        public string Topic { get; set; } = "";
        public float Amount { get; set; }
        public string Tags { get; set; } = "";
    }

    static IDataView Data(MLContext ml) => ml.Data.LoadFromEnumerable(Enumerable.Range(0, 24).Select(i => new Row
    {
        Text = i % 2 == 0 ? "Alice likes good films" : "Bob hates bad films",
        Flag = i % 2 == 0, Topic = i % 3 == 0 ? "a" : "b", Amount = i,
        Tags = i % 2 == 0 ? "B-PER O O O" : "B-PER O O O",
    }));

    static readonly ITaskHead[] AllKinds =
    [
        new ClassificationHead("flag", "Flag"), new ClassificationHead("topic", "Topic"), new RegressionHead("amount", "Amount"),
        new TokenClassificationHead("ner", "Tags"),
    ];

    [TestMethod]
    public void OutputSchemaIsKnownBeforeFitAndMatchesTheFittedModel()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        var estimator = ml.Transforms.FineTune(FineTunePersistenceTests.Quick with { Heads = AllKinds, Training = new TrainingOptions { MaxSteps = 1, LoggingSteps = 1000 } });
        // SchemaShape.Create is internal to ML.NET (its estimators call it); pipelines reach it the same way through Fit.
        var create = typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)])!;
        var promised = estimator.GetOutputSchema((SchemaShape)create.Invoke(null, [data.Schema])!).ToDictionary(c => c.Name);
        var expected = new Dictionary<string, string>
        {
            ["flag.Score"] = "Single", ["flag.Probability"] = "Single", ["flag.PredictedLabel"] = "Boolean",
            ["topic.Score"] = "Vector<Single>", ["topic.PredictedLabel"] = "Key<UInt32>",
            ["amount.Score"] = "Single",
            ["ner.PredictedTags"] = "Vector<String>", ["ner.EntityTypes"] = "Vector<String>", ["ner.EntityStarts"] = "Vector<Int32>",
            ["ner.EntityEnds"] = "Vector<Int32>", ["ner.EntityTexts"] = "Vector<String>", ["ner.EntityScores"] = "Vector<Single>",
        };
        foreach (var (name, type) in expected)
        {
            Assert.IsTrue(promised.TryGetValue(name, out var c), $"{name} promised before Fit");
            var shown = c.Kind == SchemaShape.Column.VectorKind.Scalar ? (c.IsKey ? $"Key<{c.ItemType}>" : c.ItemType.ToString()) : $"Vector<{c.ItemType}>";
            Assert.AreEqual(type, shown, name);
        }
        Assert.IsTrue(promised["topic.PredictedLabel"].Annotations.Any(a => a.Name == "KeyValues"), "key values promised");

        var scored = estimator.Fit(data).Transform(data).Schema;
        foreach (var name in expected.Keys) Assert.IsNotNull(scored.GetColumnOrNull(name), $"{name} produced");
    }

    [TestMethod]
    public void FitNeverChangesTheDeclaredHeads()
    {
        var ml = new MLContext(seed: 1);
        var heads = AllKinds.Select(h => h switch
        {
            ClassificationHead c => c with { },
            RegressionHead r => r with { },
            TokenClassificationHead t => (ITaskHead)(t with { }),
            _ => h,
        }).ToArray();
        var options = FineTunePersistenceTests.Quick with { Heads = heads, Training = new TrainingOptions { MaxSteps = 1, LoggingSteps = 1000, LabelSmoothing = 0.1 } };
        ml.Transforms.FineTune(options).Fit(Data(ml));
        CollectionAssert.AreEqual(AllKinds, heads, "records compare by value: nothing was learnt into them");
        Assert.IsNull(((ClassificationHead)heads[0]).LabelSmoothing);
    }

    [TestMethod]
    public void TrainingLabelSmoothingIsTheDefaultOfEveryHeadAndHeadsKeepTheirOwn()
    {
        var ml = new MLContext(seed: 1);
        ITaskHead[] heads = [new ClassificationHead("flag", "Flag"), new ClassificationHead("topic", "Topic", labelSmoothing: 0.0), new TokenClassificationHead("ner", "Tags")];
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick with
        {
            Heads = heads, Training = new TrainingOptions { MaxSteps = 1, LoggingSteps = 1000, LabelSmoothing = 0.2 },
        }).Fit(Data(ml));
        CollectionAssert.AreEqual(new[] { 0.2, 0.0, 0.2 }, model.Heads.Select(h => h.LabelSmoothing).ToArray());
    }

    [TestMethod]
    public void LossWeightTravelsWithTheHeadThroughSaveAndLoad()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        ITaskHead[] heads = [new ClassificationHead("flag", "Flag") { LossWeight = 0.25 }, new RegressionHead("amount", "Amount") { LossWeight = 2 }];
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick with { Heads = heads, Training = new TrainingOptions { MaxSteps = 1, LoggingSteps = 1000 } }).Fit(data);
        var loaded = MLNet.FineTune.Tests.Persistence.ModelZip.Reload<FineTuneTransformer>(ml, model, data.Schema);
        CollectionAssert.AreEqual(new[] { 0.25, 2.0 }, loaded.Heads.Select(h => h.LossWeight).ToArray());
        CollectionAssert.AreEqual(new[] { "classification", "regression" }, loaded.Heads.Select(h => h.Kind).ToArray());
        CollectionAssert.AreEqual(new[] { "False", "True" }, loaded.Heads[0].LabelNames.ToArray());
    }

    [TestMethod]
    public void EveryHeadKindIsRegisteredAndAnUnknownKindNamesThemAll()
    {
        CollectionAssert.AreEquivalent(new[] { ClassificationHead.KindName, RegressionHead.KindName, TokenClassificationHead.KindName }, HeadKinds.Known.ToArray());
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new HeadDescription("span-extraction", "qa", "Answer", [], "text").Restore());
        StringAssert.Contains(e.Message, "'span-extraction'");
        foreach (var kind in HeadKinds.Known) StringAssert.Contains(e.Message, kind);
    }

    [TestMethod]
    public void TagWeightsWeighTheTokenLoss()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        var column = data.Schema["Tags"];
        var tags = ml.Data.CreateEnumerable<Row>(data, false).Select(r => (object?)r.Tags).ToList();
        var plain = ((ITaskHead)new TokenClassificationHead()).Fit(column, tags, new HeadTrainingDefaults());
        var weighted = ((ITaskHead)new TokenClassificationHead { TagWeights = new Dictionary<string, float> { ["O"] = 0.1f } }).Fit(column, tags, new HeadTrainingDefaults());
        using var logits = TorchSharp.torch.tensor(new float[] { 2, 0, 2, 1, 1, 1 }, [1, 3, 2]);        // 3 tokens, tags O / B-PER
        using var targets = TorchSharp.torch.tensor(new float[] { 0, 1, -100 }, [1, 3]);
        using var a = plain.Loss(logits, targets);
        using var b = weighted.Loss(logits, targets);
        // Unweighted: mean of -log softmax; weighted: (0.1·l_O + 1·l_PER) / 1.1.
        double lO = Math.Log(1 + Math.Exp(-2)), lPer = Math.Log(1 + Math.Exp(1));
        Assert.AreEqual((lO + lPer) / 2, a.item<float>(), 1e-5);
        Assert.AreEqual((0.1 * lO + lPer) / 1.1, b.item<float>(), 1e-5);
        var e = Assert.ThrowsExactly<ArgumentException>(() => ((ITaskHead)new TokenClassificationHead { TagWeights = new Dictionary<string, float> { ["B-ORG"] = 2 } }).Fit(column, tags, new HeadTrainingDefaults()));
        StringAssert.Contains(e.Message, "'B-ORG'");
    }
}
