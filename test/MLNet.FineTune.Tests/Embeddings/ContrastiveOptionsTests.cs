using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tests.Robustness;
using MLNet.FineTune.Tests.Tokenization;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>EmbeddingFineTuneOptions defaults and validation, and the columns each loss reads (names, types, values).</summary>
[TestClass]
public class ContrastiveOptionsTests
{
    static TempFolder checkpoint = null!;

    [ClassInitialize]
    public static void Init(TestContext _) { checkpoint = new TempFolder(); CorpusFixtures.TinyBert(checkpoint.Path); }

    [ClassCleanup]
    public static void Cleanup() => checkpoint.Dispose();

    static string Folder => checkpoint.Path;

    static EmbeddingFineTuneOptions Options => ContrastiveEstimatorTests.OptionsFor(Folder);

    [TestMethod]
    public void DefaultsAreSentenceTransformers()
    {
        var o = new EmbeddingFineTuneOptions();
        Assert.AreEqual(("Anchor", "Positive", "Score", "Label"), (o.FirstColumnName, o.SecondColumnName, o.ScoreColumnName, o.LabelColumnName));
        Assert.AreEqual(ContrastiveLoss.MultipleNegativesRanking, o.Loss);
        Assert.AreEqual((20f, false, 0.5f, true), (o.Scale, o.Symmetric, o.Margin, o.Normalize));
        Assert.AreEqual(("Text", "Embedding", PeftMethod.Full), (o.InputColumnName, o.OutputColumnName, o.Peft.Method));
        Assert.IsNull(o.Training);
        var t = EmbeddingFineTuneOptions.DefaultTraining;
        Assert.AreEqual((2e-5, 16, 1, 0.1), (t.LearningRate, t.BatchSize, t.Epochs, t.WarmupRatio));
    }

    static T Refused<T>(EmbeddingFineTuneOptions options, string mention) where T : Exception
    {
        var e = Assert.ThrowsExactly<T>(() => new MLContext(1).Transforms.FineTuneEmbeddings(options));
        StringAssert.Contains(e.Message, mention);
        return e;
    }

    [TestMethod]
    public void InvalidOptionsAreRefusedNamingTheOption()
    {
        Refused<ArgumentException>(new EmbeddingFineTuneOptions(), "set exactly one of BaseModel");
        Refused<ArgumentException>(Options with { BaseModel = new FolderModel() }, "both are set");
        Refused<DirectoryNotFoundException>(Options with { BaseModelFolder = "/no/such/folder" }, "/no/such/folder");
        Refused<ArgumentOutOfRangeException>(Options with { Scale = 0 }, "Scale");
        Refused<ArgumentOutOfRangeException>(Options with { Margin = float.NaN }, "Margin");
        Refused<ArgumentOutOfRangeException>(Options with { Loss = (ContrastiveLoss)9 }, "Loss");
        Refused<ArgumentOutOfRangeException>(Options with { Dimensions = 0 }, "Dimensions");
        Refused<ArgumentOutOfRangeException>(Options with { MaxSequenceLength = 1 }, "MaxSequenceLength");
        Refused<ArgumentException>(Options with { SecondColumnName = "Anchor" }, "a pair needs two text columns");
        Refused<ArgumentException>(Options with { ScoreColumnName = " " }, "ScoreColumnName");
        Refused<NotSupportedException>(Options with { Peft = new PeftOptions { Method = PeftMethod.Houlsby } }, "Houlsby");
        Refused<NotSupportedException>(Options with { Peft = new PeftOptions { Method = PeftMethod.HeadOnly } }, "HeadOnly would train nothing");
        Refused<ArgumentException>(Options with { Peft = new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 0 } } }, "Rank");
        Refused<ArgumentException>(Options with { Training = new TrainingOptions { BatchSize = 0 } }, "BatchSize");
    }

    sealed class FolderModel : MLNet.FineTune.Modeling.PretrainedModel
    {
        public override string Name => "tiny";
        public override string HubId => "test/tiny";
        public override string License => "none";
        public override string Pooling => "mean";
        public override string GetFolder() => Folder;
    }

    [TestMethod]
    public void DimensionsWiderThanTheModelAreRefusedAtFit()
    {
        var ml = new MLContext(1);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.FineTuneEmbeddings(Options with { Dimensions = 33 }).Fit(ContrastiveEstimatorTests.Data(ml)));
        StringAssert.Contains(e.Message, "32 dimensions");
    }

    sealed class TypedRow
    {
        public string Anchor { get; set; } = "a b";
        public string Positive { get; set; } = "b c";
        public string Score { get; set; } = "high";
        public float Label { get; set; }
        public bool Flag { get; set; }
        public float Number { get; set; } = float.NaN;
        public float Text { get; set; }
    }

    static IDataView Typed(MLContext ml) => ml.Data.LoadFromEnumerable(new[] { new TypedRow { Label = 1 }, new TypedRow { Anchor = "c d", Label = 0 } });

    /// <summary>Fit checks the schema first, before any model is loaded or data read.</summary>
    static void SchemaRefused(EmbeddingFineTuneOptions options, params string[] mentions)
    {
        var ml = new MLContext(1);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.FineTuneEmbeddings(options).Fit(Typed(ml)));
        foreach (var m in mentions) StringAssert.Contains(e.Message, m);
    }

    [TestMethod]
    public void EachLossChecksTheColumnsItReads()
    {
        SchemaRefused(Options with { FirstColumnName = "Question" }, "First text column 'Question' not found", "Anchor");
        SchemaRefused(Options with { SecondColumnName = "Label" }, "Second text column 'Label' has type Single; expected String");
        SchemaRefused(Options with { Loss = ContrastiveLoss.CoSent }, "Score column 'Score' has type String", "CoSent expects a number");
        SchemaRefused(Options with { Loss = ContrastiveLoss.CosineSimilarity, ScoreColumnName = "Flag" }, "Score column 'Flag' has type Boolean");
        SchemaRefused(Options with { Loss = ContrastiveLoss.Contrastive, LabelColumnName = "Missing" }, "Label column 'Missing' not found");
        SchemaRefused(Options with { Loss = ContrastiveLoss.Contrastive, LabelColumnName = "Score" }, "Label column 'Score' has type String", "Boolean or a number 0 / 1");
        SchemaRefused(Options, "Input text column 'Text' has type Single; expected String");

        // A numeric 0/1 label column trains Contrastive; MNRL ignores the (string) Score column; the output is a Single vector.
        var ml = new MLContext(1);
        var ok = Options with { InputColumnName = "Anchor", Training = Options.Training! with { MaxSteps = 1 } };
        foreach (var loss in new[] { ContrastiveLoss.Contrastive, ContrastiveLoss.MultipleNegativesRanking })
        {
            var model = ml.Transforms.FineTuneEmbeddings(ok with { Loss = loss }).Fit(Typed(ml));
            var type = (VectorDataViewType)model.GetOutputSchema(Typed(ml).Schema)["Embedding"].Type;
            Assert.AreEqual((NumberDataViewType.Single, 32), (type.ItemType, type.Size));
        }
    }

    [TestMethod]
    public void TargetValuesTheLossCannotUseAreRefusedWithTheRow()
    {
        var ml = new MLContext(1);
        var rows = new[] { new TypedRow { Label = 1 }, new TypedRow { Label = 2, Anchor = "c" } };
        var data = ml.Data.LoadFromEnumerable(rows);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ml.Transforms.FineTuneEmbeddings(Options with { InputColumnName = "Anchor", Loss = ContrastiveLoss.Contrastive }).Fit(data));
        StringAssert.Contains(e.Message, "row index 1: label column 'Label' holds 2; Contrastive expects 0 or 1");
        e = Assert.ThrowsExactly<InvalidDataException>(() => ml.Transforms.FineTuneEmbeddings(Options with { InputColumnName = "Anchor", Loss = ContrastiveLoss.CosineSimilarity, ScoreColumnName = "Number" }).Fit(data));
        StringAssert.Contains(e.Message, "row index 0: score column 'Number' holds NaN");
        var single = ml.Data.LoadFromEnumerable(rows.Take(1));
        var tooFew = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.FineTuneEmbeddings(Options with { InputColumnName = "Anchor" }).Fit(single));
        StringAssert.Contains(tooFew.Message, "MultipleNegativesRanking needs at least 2");
    }

    [TestMethod]
    public void TheSharedTrainingPathChecksItsLists()
    {
        var ml = new MLContext(1);
        var e = Assert.ThrowsExactly<ArgumentException>(() => EmbeddingFineTuneEstimator.Train(ml, Options, ["a", "b"], ["c"], null, null));
        StringAssert.Contains(e.Message, "2 first texts but 1 second texts");
        Assert.ThrowsExactly<ArgumentNullException>(() => EmbeddingFineTuneEstimator.Train(ml, Options with { Loss = ContrastiveLoss.CoSent }, ["a", "b"], ["c", "d"], null, null));
        e = Assert.ThrowsExactly<ArgumentException>(() => EmbeddingFineTuneEstimator.Train(ml, Options with { Loss = ContrastiveLoss.CoSent }, ["a", "b"], ["c", "d"], [1f], null));
        StringAssert.Contains(e.Message, "2 pairs but 1 targets");
    }
}
