using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Tests.Robustness;
using MLNet.FineTune.Tests.Tokenization;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>
/// SetFit's differentiable head (<see cref="SetFitHead.Differentiable"/>) on a tiny random BERT checkpoint: one AdamW step
/// of the head against a hand computation, the fitted head's Score = softmax of its own weights on the embedding column,
/// training lowering the log-loss, the frozen body left as contrastive training made it (and changed end to end), label
/// types surviving the zip round trip, and the option errors.
/// </summary>
[TestClass]
public class SetFitDifferentiableHeadTests
{
    sealed class TextRow { public string Text { get; set; } = ""; public string Label { get; set; } = ""; }
    sealed class BoolRow { public string Text { get; set; } = ""; public bool Label { get; set; } }

    static readonly string[] Texts = ["hello world", "hello , world !", "new york hello a", "a b c d e new york", "e d c", "b", "world world", "new york"];

    static TempFolder checkpoint = null!;
    static TempFolder noDropout = null!;

    [ClassInitialize]
    public static void Init(TestContext _)
    {
        checkpoint = new TempFolder();
        CorpusFixtures.TinyBert(checkpoint.Path);
        noDropout = new TempFolder();
        CorpusFixtures.TinyBert(noDropout.Path, c => { c["hidden_dropout_prob"] = 0.0; c["attention_probs_dropout_prob"] = 0.0; });
    }

    [ClassCleanup]
    public static void Cleanup() { checkpoint.Dispose(); noDropout.Dispose(); }

    static SetFitOptions Options => new()
    {
        BaseModelFolder = checkpoint.Path, NumIterations = 2, MaxSequenceLength = 16, Head = SetFitHead.Differentiable,
    };

    static IDataView Strings(MLContext ml, int classes) =>
        ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new TextRow { Text = t, Label = "class" + (i % classes) }));

    [TestMethod]
    public void OneHeadStepMatchesTheHandComputation()
    {
        // Zero weights: every logit is 0, so p = 1/C for every row and the first AdamW step moves each parameter by
        // -lr * g / (|g| + eps), g the mean cross-entropy gradient: (p - y) for the bias, (p - y) x for the weights.
        var ml = new MLContext(1);
        var texts = Texts.Take(4).ToArray();
        int[] classes = [0, 0, 1, 2];
        const int C = 3;
        const double lr = 0.1, temperature = 1.0;
        var body = ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModelFolder = noDropout.Path, MaxSequenceLength = 16 })
            .Fit(ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t })));
        var x = body.Embed(texts);
        int d = body.Dimensions;
        var zeros = new LinearHeadWeights(new float[C * d], new float[C], C, d);
        var settings = new HeadTrainingSettings(Epochs: 1, BatchSize: 4, LearningRate: lr, WeightDecay: 0.01, EndToEnd: false, BodyLearningRate: 1e-5, temperature, Seed: 7);
        var trained = SetFitHeadTraining.Train(body.Encoder, body.Package.Tokenizer, body.MaxSequenceLength, body.Settings, texts, classes, C, settings,
            _ => { }, CancellationToken.None, zeros);

        double scale = 1.0 / (temperature + SetFitHeadTraining.TemperatureEpsilon);
        double Step(double g) => -lr * g / (Math.Abs(g) + 1e-8);
        for (int c = 0; c < C; c++)
        {
            double gb = Enumerable.Range(0, 4).Average(i => (1.0 / C - (classes[i] == c ? 1 : 0)) * scale);
            Assert.AreEqual(Step(gb), trained.Bias[c], 1e-6, $"bias {c}");
            for (int j = 0; j < d; j++)
            {
                double gw = Enumerable.Range(0, 4).Average(i => (1.0 / C - (classes[i] == c ? 1 : 0)) * scale * x[i][j]);
                Assert.AreEqual(Step(gw), trained.Weight[c * d + j], 1e-5, $"weight [{c}, {j}]");
            }
        }
    }

    [TestMethod]
    public void ScoreIsTheSoftmaxOfTheHeadsWeightsAndTrainingLowersTheLogLoss()
    {
        var ml = new MLContext(1);
        var data = Strings(ml, 3);
        var model = ml.MulticlassClassification.Trainers.SetFit(Options).Fit(data);
        var predictions = model.Transform(data);
        var head = model.OfType<SetFitHeadTransformer>().Single();
        Assert.AreEqual(3, head.ClassCount);
        Assert.AreEqual(TextDataViewType.Instance, predictions.Schema["PredictedLabel"].Type);

        var embeddings = predictions.GetColumn<float[]>(SetFitEstimator.EmbeddingColumnName).ToArray();
        var scores = predictions.GetColumn<float[]>("Score").ToArray();
        var predicted = predictions.GetColumn<string>("PredictedLabel").ToArray();
        var keyNames = default(VBuffer<ReadOnlyMemory<char>>);
        predictions.Schema["Label"].GetKeyValues(ref keyNames);
        var names = keyNames.DenseValues().Select(v => v.ToString()).ToArray();
        for (int r = 0; r < embeddings.Length; r++)
        {
            var logits = head.Weights.Select((w, c) => (w.Zip(embeddings[r], (a, b) => (double)a * b).Sum() + head.Bias[c]) / (head.Temperature + 1e-5)).ToArray();
            var exp = logits.Select(l => Math.Exp(l - logits.Max())).ToArray();
            for (int c = 0; c < 3; c++) Assert.AreEqual(exp[c] / exp.Sum(), scores[r][c], 1e-5, $"row {r} class {c}");
            Assert.AreEqual(names[Array.IndexOf(scores[r], scores[r].Max())], predicted[r], $"row {r}");
        }

        var once = ml.MulticlassClassification.Trainers.SetFit(Options with { DifferentiableHead = new() { Epochs = 1 } }).Fit(data);
        double trainedLoss = ml.MulticlassClassification.Evaluate(predictions).LogLoss;
        double oneEpochLoss = ml.MulticlassClassification.Evaluate(once.Transform(data)).LogLoss;
        Assert.IsTrue(trainedLoss < oneEpochLoss, $"16 epochs: log-loss {trainedLoss}; 1 epoch: {oneEpochLoss}");
    }

    [TestMethod]
    public void TheFrozenBodyIsTheContrastiveOneAndEndToEndTrainsIt()
    {
        var ml = new MLContext(1);
        var data = Strings(ml, 2);
        float[][] Embeddings(SetFitOptions o) => ml.MulticlassClassification.Trainers.SetFit(o).Fit(data).Transform(data)
            .GetColumn<float[]>(SetFitEstimator.EmbeddingColumnName).ToArray();
        var logistic = Embeddings(Options with { Head = SetFitHead.LogisticRegression });
        var frozen = Embeddings(Options);
        var endToEnd = Embeddings(Options with { DifferentiableHead = new() { EndToEnd = true, BodyLearningRate = 1e-3 } });
        for (int r = 0; r < logistic.Length; r++) CollectionAssert.AreEqual(logistic[r], frozen[r], $"row {r}: a frozen body is left as contrastive training made it");
        double change = logistic.Zip(endToEnd, (a, b) => a.Zip(b, (u, v) => Math.Abs(u - v)).Max()).Max();
        Assert.IsTrue(change > 1e-4, $"end to end, the body's embeddings changed by at most {change}");
    }

    [TestMethod]
    public void BoolLabelsSurviveTheZipRoundTrip()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new BoolRow { Text = t, Label = i % 2 == 0 }));
        var model = ml.MulticlassClassification.Trainers.SetFit(Options).Fit(data);
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "setfit.zip");
        ml.Model.Save(model, data.Schema, path);
        var loaded = new MLContext(2).Model.Load(path, out _);
        var before = model.Transform(data);
        var after = loaded.Transform(data);
        Assert.AreEqual(BooleanDataViewType.Instance, after.Schema["PredictedLabel"].Type);
        CollectionAssert.AreEqual(before.GetColumn<bool>("PredictedLabel").ToArray(), after.GetColumn<bool>("PredictedLabel").ToArray());
        var a = before.GetColumn<float[]>("Score").ToArray();
        var b = after.GetColumn<float[]>("Score").ToArray();
        for (int r = 0; r < a.Length; r++) CollectionAssert.AreEqual(a[r], b[r], $"row {r}");
    }

    [TestMethod]
    public void HeadOptionsAreCheckedWhenTheEstimatorIsCreated()
    {
        var trainers = new MLContext(1).MulticlassClassification.Trainers;
        var e = Assert.ThrowsExactly<ArgumentException>(() => trainers.SetFit(Options with
        {
            DifferentiableHead = new() { Epochs = 0, BatchSize = 0, LearningRate = double.NaN, Temperature = 0 },
        }));
        StringAssert.Contains(e.Message, "4 problems");
        StringAssert.Contains(e.Message, "DifferentiableHead.Epochs must be at least 1 (got 0)");
        StringAssert.Contains(e.Message, "DifferentiableHead.BatchSize");
        StringAssert.Contains(e.Message, "DifferentiableHead.LearningRate");
        StringAssert.Contains(e.Message, "DifferentiableHead.Temperature");
        var defaults = new SetFitDifferentiableHeadOptions();
        Assert.AreEqual((16, 2, 1e-2, 0.01, false, 1e-5), (defaults.Epochs, defaults.BatchSize, defaults.LearningRate, defaults.WeightDecay, defaults.EndToEnd, defaults.BodyLearningRate));
    }
}
