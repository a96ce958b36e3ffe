using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Onnx;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.FineTune;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// MLNet.FineTune.Onnx scores an exported model without TorchSharp and gives the FineTune transformer's own columns:
/// same schema, same values (floats within 1e-5, labels, tags and entity spans exactly), through Transform and a
/// PredictionEngine.
/// </summary>
[TestClass]
[DoNotParallelize]
public class OnnxScoringPackageTests
{
    [TestMethod]
    public void ScoringAssemblyReferencesNeitherTorchSharpNorTheTrainingLibrary()
    {
        var references = typeof(OnnxFineTuneTransformer).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.IsFalse(references.Any(r => r.StartsWith("TorchSharp", StringComparison.Ordinal) || r == "MLNet.FineTune"), string.Join(", ", references));
        CollectionAssert.Contains(references, "Microsoft.ML.OnnxRuntime");
    }

    /// <summary>
    /// What the MLNet.FineTune.Onnx package depends on: NuGet's resolved closure of its project (obj/project.assets.json,
    /// which <c>dotnet pack</c> turns into the nuspec's dependencies) holds neither TorchSharp nor libtorch nor MLNet.FineTune.
    /// </summary>
    [TestMethod]
    public void ScoringPackageDependsOnNoTorchPackage()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "MLNet.FineTune.sln"))) folder = folder.Parent;
        if (folder is null) Assert.Inconclusive("the repository (MLNet.FineTune.sln) is not above the test binaries");
        var assets = Path.Combine(folder.FullName, "src", "MLNet.FineTune.Onnx", "obj", "project.assets.json");
        if (!File.Exists(assets)) Assert.Inconclusive($"{assets} is missing (restore src/MLNet.FineTune.Onnx)");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(assets));
        var packages = json.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToList();
        CollectionAssert.Contains(packages, "Microsoft.ML.OnnxRuntime");
        var torch = packages.Where(p => p.Contains("torch", StringComparison.OrdinalIgnoreCase) || p == "MLNet.FineTune").ToList();
        Assert.AreEqual(0, torch.Count, "MLNet.FineTune.Onnx pulls in: " + string.Join(", ", torch));
    }

    [TestMethod]
    public void BinarySentimentScoresLikeTheFineTuneTransformer()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(48, seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick).Fit(data);
        CompareWithOnnx(ml, model, data, ["Score", "Probability"], ["PredictedLabel"]);

        // One row at a time, as a web API would.
        using var onnx = Export(ml, model, out var path);
        try
        {
            var engine = ml.Model.CreatePredictionEngine<SentimentRow, SentimentPrediction>(onnx);
            var expected = ml.Model.CreatePredictionEngine<SentimentRow, SentimentPrediction>(model);
            foreach (var row in rows.Take(5))
            {
                var (a, b) = (engine.Predict(row), expected.Predict(row));
                Assert.AreEqual(b.Probability, a.Probability, 1e-5);
                Assert.AreEqual(b.PredictedLabel, a.PredictedLabel);
            }
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ABatchOfVeryDifferentLengthsScoresLikeOneRowAtATime()
    {
        // Rows of 1 to ~60 words in one batch: the scorer runs them in length groups and must put every column back in row order.
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(48, seed: 3);
        var options = FineTunePersistenceTests.Quick with
        {
            Training = new global::MLNet.FineTune.Training.TrainingOptions { LearningRate = 3e-3, Epochs = 3, BatchSize = 16, LoggingSteps = 1000 },
        };
        var model = ml.Transforms.FineTune(options).Fit(ml.Data.LoadFromEnumerable(rows));
        var mixed = rows.Select((r, i) => new SentimentRow { Text = string.Join(" ", Enumerable.Repeat(r.Text, 1 + i % 7 * (i % 3))), Label = r.Label }).ToList();
        using var onnx = Export(ml, model, out var path);
        try
        {
            var batched = Flat(onnx.Transform(ml.Data.LoadFromEnumerable(mixed)), "Probability").Cast<float>().ToArray();
            var engine = ml.Model.CreatePredictionEngine<SentimentRow, SentimentPrediction>(onnx);
            Assert.AreEqual(mixed.Count, batched.Length);
            double span = batched.Max() - batched.Min();
            Console.WriteLine($"probability span {span:E2}");
            for (int i = 0; i < mixed.Count; i++) Assert.AreEqual(engine.Predict(mixed[i]).Probability, batched[i], span / 20, $"row {i}");
            Assert.IsTrue(span > 1e-6, "rows are not all scored alike, so a shuffled order would show");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void MultiTaskSentimentAndEntitiesScoreLikeTheFineTuneTransformer()
    {
        var ml = new MLContext(seed: 1);
        var rows = FineTuneNerTests.Synthetic(96, seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = FineTunePersistenceTests.Quick with
        {
            Heads = [new ClassificationHead("sentiment", "Sentiment"), new TokenClassificationHead("ner", "Tags")],
            Training = new global::MLNet.FineTune.Training.TrainingOptions { LearningRate = 3e-3, Epochs = 3, BatchSize = 16, LoggingSteps = 1000 },
        };
        var model = ml.Transforms.FineTune(options).Fit(data);
        Assert.IsTrue(Flat(model.Transform(data), "ner.EntityTypes").Count(v => v is not "|") > rows.Count, "the model finds entities, so the spans compared below are not empty");
        CompareWithOnnx(ml, model, data, ["sentiment.Score", "ner.EntityScores"],
            ["sentiment.PredictedLabel", "ner.PredictedTags", "ner.EntityTypes", "ner.EntityStarts", "ner.EntityEnds", "ner.EntityTexts"]);
    }

    static void CompareWithOnnx(MLContext ml, FineTuneTransformer model, IDataView data, string[] floats, string[] exact)
    {
        using var onnx = Export(ml, model, out var path);
        try
        {
            var expected = model.Transform(data);
            var actual = onnx.Transform(data);
            CollectionAssert.AreEqual(expected.Schema.Select(c => $"{c.Name}:{c.Type}").ToArray(), actual.Schema.Select(c => $"{c.Name}:{c.Type}").ToArray());
            foreach (var name in floats)
            {
                var (a, b) = (Flat(expected, name), Flat(actual, name));
                Assert.AreEqual(a.Count, b.Count, name);
                double worst = a.Zip(b, (x, y) => x is string || y is string ? (Equals(x, y) ? 0 : double.PositiveInfinity) // row separators line up
                    : Math.Abs(Convert.ToDouble(x) - Convert.ToDouble(y))).DefaultIfEmpty(0).Max();
                Assert.IsTrue(worst < 1e-5, $"{name}: max difference {worst:E2}");
            }
            foreach (var name in exact)
                CollectionAssert.AreEqual(Flat(expected, name), Flat(actual, name), name);
        }
        finally { File.Delete(path); }
    }

    static OnnxFineTuneTransformer Export(MLContext ml, FineTuneTransformer model, out string path)
    {
        path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.onnx");
        model.ExportOnnx(path);
        return ml.Model.LoadFineTuneOnnx(path, batchSize: 7);
    }

    /// <summary>Every value of a column, vectors flattened, with a row separator so that row boundaries count.</summary>
    static List<object> Flat(IDataView view, string name)
    {
        var column = view.Schema[name];
        var values = new List<object>();
        using var cursor = view.GetRowCursor([column]);
        Action read = column.Type switch
        {
            NumberDataViewType t when t.RawType == typeof(float) => Scalar<float>(),
            BooleanDataViewType => Scalar<bool>(),
            KeyDataViewType => Scalar<uint>(),
            VectorDataViewType { ItemType: TextDataViewType } => Vector<ReadOnlyMemory<char>>(m => m.ToString()),
            VectorDataViewType { ItemType: NumberDataViewType n } when n.RawType == typeof(int) => Vector<int>(v => v),
            VectorDataViewType { ItemType: NumberDataViewType n } when n.RawType == typeof(float) => Vector<float>(v => v),
            var other => throw new InvalidOperationException($"{name}: {other}"),
        };
        while (cursor.MoveNext()) read();
        return values;

        Action Scalar<T>() { var get = cursor.GetGetter<T>(column); return () => { T v = default!; get(ref v); values.Add(v!); }; }
        Action Vector<T>(Func<T, object> convert)
        {
            var get = cursor.GetGetter<VBuffer<T>>(column);
            return () => { VBuffer<T> v = default; get(ref v); values.AddRange(v.DenseValues().Select(convert)); values.Add("|"); };
        }
    }

    sealed class SentimentPrediction { public float Probability { get; set; } public bool PredictedLabel { get; set; } }
}
