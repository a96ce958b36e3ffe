using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Tests.Robustness;
using MLNet.FineTune.Tests.Tokenization;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>
/// The SetFit estimator end to end on a tiny random BERT checkpoint (seconds): output columns and types for string, bool
/// and key labels with 2 and 3 classes, MulticlassClassification.Evaluate on its predictions, the model zip round trip,
/// and the errors for bad labels and options.
/// </summary>
[TestClass]
public class SetFitEstimatorTests
{
    sealed class TextRow { public string Text { get; set; } = ""; public string Label { get; set; } = ""; }
    sealed class BoolRow { public string Text { get; set; } = ""; public bool Label { get; set; } }
    sealed class FloatRow { public string Text { get; set; } = ""; public float Label { get; set; } }
    sealed class LabelOnly { public string Label { get; set; } = ""; }
    sealed class TextOnly { public string Text { get; set; } = ""; }

    static readonly string[] Texts = ["hello world", "hello , world !", "new york hello a", "a b c d e new york", "e d c", "b", "world world", "new york"];

    static TempFolder checkpoint = null!;

    [ClassInitialize]
    public static void Init(TestContext _) { checkpoint = new TempFolder(); CorpusFixtures.TinyBert(checkpoint.Path); }

    [ClassCleanup]
    public static void Cleanup() => checkpoint.Dispose();

    // SchemaShape.Create is internal to ML.NET (its estimators call it); pipelines reach it the same way through Fit.
    static SchemaShape Shape(DataViewSchema schema) => (SchemaShape)typeof(SchemaShape).GetMethod("Create",
        System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [typeof(DataViewSchema)])!.Invoke(null, [schema])!;

    static SetFitOptions Options => new() { BaseModelFolder = checkpoint.Path, NumIterations = 2, MaxSequenceLength = 16 };

    static IDataView Strings(MLContext ml, int classes) =>
        ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new TextRow { Text = t, Label = "class" + (i % classes) }));

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void StringLabelsGiveScoreAndAStringPredictedLabelAndEvaluateWorks(int classes)
    {
        var ml = new MLContext(1);
        var data = Strings(ml, classes);
        var estimator = ml.MulticlassClassification.Trainers.SetFit(Options);
        var declared = estimator.GetOutputSchema(Shape(data.Schema));
        var model = estimator.Fit(data);
        var predictions = model.Transform(data);

        var score = (VectorDataViewType)predictions.Schema["Score"].Type;
        Assert.AreEqual(NumberDataViewType.Single, score.ItemType);
        Assert.AreEqual(classes, score.Size);
        Assert.AreEqual(TextDataViewType.Instance, predictions.Schema["PredictedLabel"].Type);
        Assert.IsInstanceOfType<KeyDataViewType>(predictions.Schema["Label"].Type, "the label is mapped to a key for the trainer and the evaluator");
        foreach (var name in new[] { "Score", "PredictedLabel", "Label", SetFitEstimator.EmbeddingColumnName })
        {
            var column = declared.SingleOrDefault(c => c.Name == name);
            Assert.AreEqual(name, column.Name, $"GetOutputSchema declares {name}");
            Assert.AreEqual(predictions.Schema[name].Type is VectorDataViewType, column.Kind != SchemaShape.Column.VectorKind.Scalar, name);
        }

        var scores = predictions.GetColumn<float[]>("Score").ToArray();
        foreach (var row in scores) Assert.AreEqual(1.0, row.Sum(), 1e-4, "Score holds class probabilities");
        var predicted = predictions.GetColumn<string>("PredictedLabel").ToArray();
        var known = Enumerable.Range(0, classes).Select(c => "class" + c).ToArray();
        Assert.IsTrue(predicted.All(known.Contains), string.Join(", ", predicted));

        var metrics = ml.MulticlassClassification.Evaluate(predictions);
        Assert.AreEqual(classes, metrics.ConfusionMatrix.NumberOfClasses);
        Assert.AreEqual(Texts.Length, metrics.ConfusionMatrix.Counts.Sum(r => r.Sum()));
        Assert.IsTrue(double.IsFinite(metrics.LogLoss) && metrics.MicroAccuracy is >= 0 and <= 1);
        // PredictedLabel is the argmax of Score, in the label's own values.
        var keyNames = default(VBuffer<ReadOnlyMemory<char>>);
        predictions.Schema["Label"].GetKeyValues(ref keyNames);
        var names = keyNames.DenseValues().Select(v => v.ToString()).ToArray();
        for (int r = 0; r < scores.Length; r++) Assert.AreEqual(names[Array.IndexOf(scores[r], scores[r].Max())], predicted[r], $"row {r}");
    }

    [TestMethod]
    public void SavedAndLoadedModelGivesEqualScores()
    {
        var ml = new MLContext(1);
        var data = Strings(ml, 3);
        var model = ml.MulticlassClassification.Trainers.SetFit(Options).Fit(data);
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "setfit.zip");
        ml.Model.Save(model, data.Schema, path);
        var loaded = new MLContext(2).Model.Load(path, out var schema);
        Assert.AreEqual("Text", schema["Text"].Name);
        var before = model.Transform(data);
        var after = loaded.Transform(data);
        var a = before.GetColumn<float[]>("Score").ToArray();
        var b = after.GetColumn<float[]>("Score").ToArray();
        for (int r = 0; r < a.Length; r++) CollectionAssert.AreEqual(a[r], b[r], $"row {r}");
        CollectionAssert.AreEqual(before.GetColumn<string>("PredictedLabel").ToArray(), after.GetColumn<string>("PredictedLabel").ToArray());
        Assert.AreEqual(ml.MulticlassClassification.Evaluate(before).LogLoss, ml.MulticlassClassification.Evaluate(after).LogLoss, 1e-9);
    }

    sealed class Prediction { public float[] Score { get; set; } = []; public string PredictedLabel { get; set; } = ""; }

    [TestMethod]
    public void PredictionEngineGivesTheBatchPrediction()
    {
        var ml = new MLContext(1);
        var data = Strings(ml, 2);
        var model = ml.MulticlassClassification.Trainers.SetFit(Options).Fit(data);
        var batch = model.Transform(data).GetColumn<string>("PredictedLabel").ToArray();
        var batchScores = model.Transform(data).GetColumn<float[]>("Score").ToArray();
        // The input type carries the label column (its value is not used), as for any ML.NET pipeline that maps its label to a key.
        using var engine = ml.Model.CreatePredictionEngine<TextRow, Prediction>(model);
        for (int r = 0; r < Texts.Length; r++)
        {
            var p = engine.Predict(new TextRow { Text = Texts[r], Label = "class0" });
            Assert.AreEqual(batch[r], p.PredictedLabel, $"row {r}");
            for (int c = 0; c < 2; c++) Assert.AreEqual(batchScores[r][c], p.Score[c], 1e-5, $"row {r} class {c}");
        }
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Model.CreatePredictionEngine<TextOnly, Prediction>(model));
        StringAssert.Contains(e.Message, "Could not find input column 'Label'", "documented in docs/design/embeddings.md (SetFit)");
    }

    [TestMethod]
    public void BoolLabelsPredictBools()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new BoolRow { Text = t, Label = i % 2 == 0 }));
        var predictions = ml.MulticlassClassification.Trainers.SetFit(Options).Fit(data).Transform(data);
        Assert.AreEqual(BooleanDataViewType.Instance, predictions.Schema["PredictedLabel"].Type);
        Assert.AreEqual(2, ((VectorDataViewType)predictions.Schema["Score"].Type).Size);
        Assert.AreEqual(2, ml.MulticlassClassification.Evaluate(predictions).ConfusionMatrix.NumberOfClasses);
    }

    [TestMethod]
    public void KeyLabelsAreUsedAsTheyAreAndPredictKeys()
    {
        var ml = new MLContext(1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Strings(ml, 3)).Transform(Strings(ml, 3));
        var model = ml.MulticlassClassification.Trainers.SetFit(Options).Fit(data);
        Assert.AreEqual(2, model.Count(), "no label conversions around the body and the trainer for a key label");
        var predictions = model.Transform(data);
        var predicted = (KeyDataViewType)predictions.Schema["PredictedLabel"].Type;
        Assert.AreEqual(3ul, predicted.Count);
        Assert.AreEqual(3, ml.MulticlassClassification.Evaluate(predictions).ConfusionMatrix.NumberOfClasses);
    }

    [TestMethod]
    public void MissingLabelsAreRefusedWithTheRowAndColumn()
    {
        var ml = new MLContext(1);
        var empty = ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new TextRow { Text = t, Label = i == 5 ? "" : "x" + i % 2 }));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ml.MulticlassClassification.Trainers.SetFit(Options).Fit(empty));
        StringAssert.Contains(e.Message, "label column 'Label', row index 5");
        StringAssert.Contains(e.Message, "empty");

        var nan = ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new FloatRow { Text = t, Label = i == 3 ? float.NaN : i % 2 }));
        e = Assert.ThrowsExactly<InvalidDataException>(() => ml.MulticlassClassification.Trainers.SetFit(Options).Fit(nan));
        StringAssert.Contains(e.Message, "row index 3");
        StringAssert.Contains(e.Message, "NaN");

        // A value outside the key's values maps to key 0, ML.NET's missing key.
        var known = ml.Data.LoadFromEnumerable(new[] { new LabelOnly { Label = "x0" }, new LabelOnly { Label = "x1" } });
        var raw = ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new TextRow { Text = t, Label = i == 1 ? "unknown" : "x" + i % 2 }));
        var key = ml.Transforms.Conversion.MapValueToKey("Label", keyData: known).Fit(raw).Transform(raw);
        e = Assert.ThrowsExactly<InvalidDataException>(() => ml.MulticlassClassification.Trainers.SetFit(Options).Fit(key));
        StringAssert.Contains(e.Message, "row index 1");
        StringAssert.Contains(e.Message, "key 0");

        var oneClass = ml.Data.LoadFromEnumerable(Texts.Select(t => new TextRow { Text = t, Label = "same" }));
        var one = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.SetFit(Options).Fit(oneClass));
        StringAssert.Contains(one.Message, "at least 2 classes");
    }

    [TestMethod]
    public void FloatLabelsRoundTripThroughKeys()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new FloatRow { Text = t, Label = i % 2 == 0 ? 0.5f : 7f }));
        var predictions = ml.MulticlassClassification.Trainers.SetFit(Options).Fit(data).Transform(data);
        Assert.AreEqual(NumberDataViewType.Single, predictions.Schema["PredictedLabel"].Type);
        Assert.IsTrue(predictions.GetColumn<float>("PredictedLabel").All(v => v is 0.5f or 7f));
    }

    [TestMethod]
    public void SchemaErrorsNameTheColumn()
    {
        var ml = new MLContext(1);
        var noLabel = ml.Data.LoadFromEnumerable(Texts.Select(t => new TextOnly { Text = t }));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SetFit(Options).Fit(noLabel));
        StringAssert.Contains(e.Message, "Label column 'Label' not found");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SetFit(Options with { TextColumnName = "Label" , LabelColumnName = "Text" })
            .GetOutputSchema(Shape(ml.Data.LoadFromEnumerable(Texts.Select(t => new BoolRow { Text = t })).Schema)));
        StringAssert.Contains(e.Message, "Text column 'Label' has type Boolean");
    }

    [TestMethod]
    public void TheMLNetCatalogConstructorsSetFitCompilesAgainstExist()
    {
        // SetFitEstimator builds ML.NET's key mapping, cache and L-BFGS trainer from its IHostEnvironment through these internal
        // constructors (compiled against the publicized Microsoft.ML.Data, docs/design/persistence.md); an ML.NET upgrade that drops one fails here by name.
        var env = typeof(Microsoft.ML.Runtime.IHostEnvironment);
        foreach (var catalog in new[] { typeof(TransformsCatalog), typeof(MulticlassClassificationCatalog), typeof(DataOperationsCatalog) })
            Assert.IsNotNull(catalog.GetConstructor(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic, [env]),
                $"{catalog.FullName}(IHostEnvironment) is gone.");
    }

    [TestMethod]
    public void OptionsAreCheckedWhenTheEstimatorIsCreated()
    {
        var ml = new MLContext(1);
        var trainers = ml.MulticlassClassification.Trainers;
        var e = Assert.ThrowsExactly<ArgumentException>(() => trainers.SetFit(new SetFitOptions()));
        StringAssert.Contains(e.Message, "neither is set");
        e = Assert.ThrowsExactly<ArgumentException>(() => trainers.SetFit(Options with { NumIterations = 0, Loss = ContrastiveLoss.MultipleNegativesRanking, Training = new() { BatchSize = 0 } }));
        StringAssert.Contains(e.Message, "3 problems");
        StringAssert.Contains(e.Message, "NumIterations must be at least 1");
        StringAssert.Contains(e.Message, "MultipleNegativesRanking");
        StringAssert.Contains(e.Message, "TrainingOptions.BatchSize");
        e = Assert.ThrowsExactly<ArgumentException>(() => trainers.SetFit(Options with { BaseModelFolder = "/no/such/folder" }));
        StringAssert.Contains(e.Message, "'/no/such/folder' does not exist");
        Assert.AreEqual(20, new SetFitOptions().NumIterations);
        Assert.AreEqual(ContrastiveLoss.CosineSimilarity, new SetFitOptions().Loss);
        Assert.AreEqual(2e-5, SetFitDefaults.Body.LearningRate);
        Assert.AreEqual(1, SetFitDefaults.Body.Epochs);
        Assert.AreEqual(16, SetFitDefaults.Body.BatchSize);
    }
}
