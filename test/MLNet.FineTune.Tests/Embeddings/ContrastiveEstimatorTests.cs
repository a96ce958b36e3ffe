using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tests.Robustness;
using MLNet.FineTune.Tests.Tokenization;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>
/// mlContext.Transforms.FineTuneEmbeddings on a tiny random BERT checkpoint (seconds): training moves the embeddings,
/// LoRA is merged away before saving, the model zip round-trips, bad columns and options fail with specific errors.
/// </summary>
[TestClass]
public class ContrastiveEstimatorTests
{
    internal sealed class PairRow
    {
        public string Anchor { get; set; } = "";
        public string Positive { get; set; } = "";
        public float Score { get; set; }
        public bool Label { get; set; }
        public string Text { get; set; } = "";
    }

    internal static readonly (string A, string B, float Score)[] Pairs =
    [
        ("hello world", "hello world !", 0.9f), ("a b c", "a b c d", 0.8f), ("new york", "new york !", 0.7f), ("d e", "e d", 0.6f),
        ("hello", "a b", 0.1f), ("york", "c d e", 0.2f), ("world !", "hello , world", 0.5f), ("b", "b c", 0.4f),
    ];

    static TempFolder checkpoint = null!;

    [ClassInitialize]
    public static void Init(TestContext _) { checkpoint = new TempFolder(); CorpusFixtures.TinyBert(checkpoint.Path); }

    [ClassCleanup]
    public static void Cleanup() => checkpoint.Dispose();

    internal static string Checkpoint => checkpoint.Path;

    internal static IDataView Data(MLContext ml) =>
        ml.Data.LoadFromEnumerable(Pairs.Select(p => new PairRow { Anchor = p.A, Positive = p.B, Score = p.Score, Label = p.Score >= 0.5f, Text = p.A }));

    internal static EmbeddingFineTuneOptions Options => new()
    {
        BaseModelFolder = checkpoint.Path,
        Training = new TrainingOptions { LearningRate = 1e-3, BatchSize = 4, Epochs = 2, WarmupRatio = 0 },
    };

    static float[][] Embed(TextEmbeddingTransformer model, MLContext ml, IDataView data) => model.Transform(data).GetColumn<float[]>("Embedding").ToArray();

    static float[][] BaseEmbeddings(MLContext ml, IDataView data) =>
        Embed(ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModelFolder = checkpoint.Path }).Fit(data), ml, data);

    static double MaxDifference(float[][] a, float[][] b) => a.Zip(b).Max(p => p.First.Zip(p.Second).Max(x => Math.Abs(x.First - x.Second)));

    [TestMethod]
    [DataRow(ContrastiveLoss.MultipleNegativesRanking)]
    [DataRow(ContrastiveLoss.CoSent)]
    [DataRow(ContrastiveLoss.CosineSimilarity)]
    [DataRow(ContrastiveLoss.Contrastive)]
    public void EveryLossTrainsAndTheModelEmbedsTheTextColumn(ContrastiveLoss loss)
    {
        var ml = new MLContext(1);
        var data = Data(ml);
        var model = ml.Transforms.FineTuneEmbeddings(Options with { Loss = loss }).Fit(data);
        var tuned = Embed(model, ml, data);
        Assert.AreEqual(Pairs.Length, tuned.Length);
        Assert.IsTrue(tuned.All(v => v.Length == TinyModels.Bert().HiddenSize));
        foreach (var v in tuned) Assert.AreEqual(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 1e-5, "Normalize defaults to true");
        Assert.IsTrue(MaxDifference(tuned, BaseEmbeddings(ml, data)) > 1e-3, "training changed the encoder");
        StringAssert.EndsWith(model.ModelId, "(fine-tuned)");
    }

    [TestMethod]
    public void LoraIsMergedSoTheZipHoldsAPlainEncoderThatRoundTrips()
    {
        var ml = new MLContext(1);
        var data = Data(ml);
        var lora = new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 4, Alpha = 8, InitLoraWeights = true } };
        var model = ml.Transforms.FineTuneEmbeddings(Options with { Peft = lora, Training = Options.Training! with { LearningRate = 1e-2 } }).Fit(data);
        var tuned = Embed(model, ml, data);
        Assert.IsTrue(MaxDifference(tuned, BaseEmbeddings(ml, data)) > 1e-3, "LoRA training changed the embeddings");

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        var zip = stream.ToArray();
        var weights = WeightNames(zip);
        Assert.IsFalse(weights.Any(n => n.Contains("lora_") || n.Contains("base_layer")), "no LoRA tensors: " + string.Join(", ", weights.Where(n => n.Contains("lora"))));
        Assert.IsTrue(weights.Contains("encoder.layer.0.attention.self.query.weight"), "plain Hugging Face names");

        var loaded = (TextEmbeddingTransformer)ml.Model.Load(new MemoryStream(zip), out _);
        Assert.IsTrue(MaxDifference(tuned, Embed(loaded, ml, data)) <= 1e-6, "the loaded model embeds as the fitted one");
    }

    static string[] WeightNames(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var entry = archive.Entries.Single(e => e.FullName.EndsWith("Payload/weights/model.safetensors", StringComparison.Ordinal));
        using var s = entry.Open();
        var bytes = new MemoryStream();
        s.CopyTo(bytes);
        return SafetensorsReader.Open(bytes.ToArray(), "test").Entries.Keys.ToArray();
    }
}
