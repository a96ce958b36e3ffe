using MLNet.FineTune.Embeddings;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tests.Robustness;
using MLNet.FineTune.Tests.Tokenization;
using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>
/// The embedding transform on a tiny random BERT checkpoint (milliseconds): schema, pooling math against a hand
/// computation from the encoder's last hidden state, normalisation, Matryoshka truncation, the model zip round trip,
/// composition with an ML.NET trainer, and the Microsoft.Extensions.AI generator.
/// </summary>
[TestClass]
public class TextEmbeddingTests
{
    sealed class Row { public string Text { get; set; } = ""; public string Label { get; set; } = ""; }

    // Different lengths, so a batch pads every row but the longest: pads must never count.
    static readonly string[] Texts = ["hello world", "a b c d e new york", "b", "hello , world !", "e d c", "new york hello a"];

    static TempFolder checkpoint = null!;

    [ClassInitialize]
    public static void Init(TestContext _) { checkpoint = new TempFolder(); CorpusFixtures.TinyBert(checkpoint.Path); }

    [ClassCleanup]
    public static void Cleanup() => checkpoint.Dispose();

    static IDataView Data(MLContext ml, IEnumerable<string>? texts = null) =>
        ml.Data.LoadFromEnumerable((texts ?? Texts).Select((t, i) => new Row { Text = t, Label = i % 2 == 0 ? "x" : "y" }));

    static TextEmbeddingOptions Options => new() { BaseModelFolder = checkpoint.Path, BatchSize = 4 };

    static float[][] Embed(MLContext ml, TextEmbeddingOptions options, IEnumerable<string>? texts = null) =>
        ml.Transforms.TextEmbedding(options).Fit(Data(ml, texts)).Transform(Data(ml, texts)).GetColumn<float[]>("Embedding").ToArray();

    static double Norm(float[] v) => Math.Sqrt(v.Sum(x => (double)x * x));

    [TestMethod]
    public void SchemaHasAKnownSizeVector()
    {
        var ml = new MLContext(1);
        var model = ml.Transforms.TextEmbedding(Options).Fit(Data(ml));
        var type = (VectorDataViewType)model.GetOutputSchema(Data(ml).Schema)["Embedding"].Type;
        Assert.AreEqual(NumberDataViewType.Single, type.ItemType);
        Assert.AreEqual(TinyModels.Bert().HiddenSize, type.Size);
        var vectors = Embed(ml, Options);
        Assert.AreEqual(Texts.Length, vectors.Length);
        Assert.IsTrue(vectors.All(v => v.Length == 32));
        var truncated = ml.Transforms.TextEmbedding(Options with { Dimensions = 8, OutputColumnName = "E8" }).Fit(Data(ml));
        Assert.AreEqual(8, ((VectorDataViewType)truncated.GetOutputSchema(Data(ml).Schema)["E8"].Type).Size);
        Assert.AreEqual(8, truncated.Dimensions);
    }

    [TestMethod]
    public void NormalizedVectorsHaveUnitLength()
    {
        foreach (var v in Embed(new MLContext(1), Options)) Assert.AreEqual(1.0, Norm(v), 1e-5);
        var raw = Embed(new MLContext(1), Options with { Normalize = false });
        Assert.IsTrue(raw.Any(v => Math.Abs(Norm(v) - 1) > 1e-3), "without Normalize the vectors keep their length");
    }

    [TestMethod]
    public void MatryoshkaKeepsThePrefixThenRenormalizes()
    {
        var full = Embed(new MLContext(1), Options with { Normalize = false });
        var shortened = Embed(new MLContext(1), Options with { Dimensions = 8 });
        for (int r = 0; r < full.Length; r++)
        {
            var prefix = full[r][..8];
            double norm = Norm(prefix);
            for (int i = 0; i < 8; i++) Assert.AreEqual(prefix[i] / norm, shortened[r][i], 1e-5, $"row {r} dim {i}");
        }
    }

    [TestMethod]
    [DataRow(EmbeddingPooling.Mean)]
    [DataRow(EmbeddingPooling.Cls)]
    [DataRow(EmbeddingPooling.Max)]
    public void PoolingMatchesAHandComputationFromTheLastHiddenState(EmbeddingPooling pooling)
    {
        var batched = Embed(new MLContext(1), Options with { Pooling = pooling, Normalize = false });
        // By hand: each text alone (no padding at all), its last hidden state read out and pooled in plain loops.
        var encoder = PretrainedEncoder.Load(checkpoint.Path).Encoder;
        encoder.eval();
        var tokenizer = TransformerTokenizer.FromFolder(checkpoint.Path);
        for (int r = 0; r < Texts.Length; r++)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var e = tokenizer.Encode(Texts[r], null, 256, TruncationStrategy.LongestFirst);
            var ids = tensor(e.InputIds.Select(x => (long)x).ToArray(), new long[] { 1, e.Length });
            var mask = ones(1, e.Length, dtype: ScalarType.Int64);
            var hidden = encoder.Forward(ids, mask, zeros(1, e.Length, dtype: ScalarType.Int64)).LastHiddenState;
            int t = e.Length, h = (int)hidden.shape[2];
            var states = hidden.contiguous().data<float>().ToArray();
            var expected = new double[h];
            for (int j = 0; j < h; j++)
            {
                var column = Enumerable.Range(0, t).Select(k => (double)states[k * h + j]).ToArray();
                expected[j] = pooling switch { EmbeddingPooling.Mean => column.Average(), EmbeddingPooling.Cls => column[0], _ => column.Max() };
            }
            for (int j = 0; j < h; j++) Assert.AreEqual(expected[j], batched[r][j], 1e-4, $"{pooling}: row {r} dim {j}");
        }
    }

    [TestMethod]
    public void PoolingComesFromTheSentenceTransformersFolder()
    {
        using var folder = new TempFolder();
        CorpusFixtures.TinyBert(folder.Path);
        Directory.CreateDirectory(Path.Combine(folder.Path, "1_Pooling"));
        File.WriteAllText(Path.Combine(folder.Path, "1_Pooling", "config.json"), new JsonObject { ["pooling_mode_cls_token"] = true, ["pooling_mode_mean_tokens"] = false }.ToJsonString());
        File.WriteAllText(Path.Combine(folder.Path, "sentence_bert_config.json"), """{"max_seq_length": 16}""");
        var ml = new MLContext(1);
        var model = ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModelFolder = folder.Path }).Fit(Data(ml));
        Assert.AreEqual(EmbeddingPooling.Cls, model.Pooling);
        Assert.AreEqual(16, model.MaxSequenceLength);
        // Without the file: mean, the sentence-transformers default for BERT models.
        Assert.AreEqual(EmbeddingPooling.Mean, ml.Transforms.TextEmbedding(Options).Fit(Data(ml)).Pooling);
    }

    [TestMethod]
    public void SaveAndLoadGiveIdenticalVectors()
    {
        var ml = new MLContext(1);
        var data = Data(ml);
        var model = ml.Transforms.TextEmbedding(Options with { Pooling = EmbeddingPooling.Max, Dimensions = 20 }).Fit(data);
        var before = model.Transform(data).GetColumn<float[]>("Embedding").ToArray();
        var loaded = Persistence.ModelZip.Reload<TextEmbeddingTransformer>(ml, model, data.Schema);
        Assert.AreEqual(EmbeddingPooling.Max, loaded.Pooling);
        Assert.AreEqual(20, loaded.Dimensions);
        Assert.AreEqual(model.ModelId, loaded.ModelId);
        var after = loaded.Transform(data).GetColumn<float[]>("Embedding").ToArray();
        for (int r = 0; r < before.Length; r++) CollectionAssert.AreEqual(before[r], after[r], $"row {r}");
        // One row at a time (PredictionEngine) gives the batched vectors too.
        var engine = ml.Model.CreatePredictionEngine<Row, EmbeddingRow>(loaded);
        var single = engine.Predict(new Row { Text = Texts[1] }).Embedding;
        for (int i = 0; i < single.Length; i++) Assert.AreEqual(before[1][i], single[i], 1e-5);
    }

    sealed class EmbeddingRow { public float[] Embedding { get; set; } = []; }

    [TestMethod]
    public void EmbeddingsFeedAnMLNetTrainer()
    {
        var ml = new MLContext(1);
        var texts = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? "hello world new york" : "a b c d e").ToArray();
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new Row { Text = t, Label = t.StartsWith("hello") ? "greeting" : "letters" }));
        var pipeline = ml.Transforms.TextEmbedding(Options)
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(featureColumnName: "Embedding"));
        var model = pipeline.Fit(data);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data));
        Assert.AreEqual(1.0, metrics.MicroAccuracy, 1e-9, "two distinct texts are separable through their embeddings");
    }

    [TestMethod]
    public void OptionsAreValidatedWithClearErrors()
    {
        var ml = new MLContext(1);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.TextEmbedding(new TextEmbeddingOptions())).Message, "none is set");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TextEmbedding(Options with { Dimensions = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TextEmbedding(Options with { BatchSize = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TextEmbedding(Options with { MaxSequenceLength = 1 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TextEmbedding(Options with { Pooling = (EmbeddingPooling)7 }));
        var tooWide = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TextEmbedding(Options with { Dimensions = 33 }).Fit(Data(ml)));
        StringAssert.Contains(tooWide.Message, "32 dimensions");
        var wrongColumn = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TextEmbedding(Options with { InputColumnName = "Nope" }).Fit(Data(ml)));
        StringAssert.Contains(wrongColumn.Message, "'Nope' not found");
    }

    [TestMethod]
    public async Task EmbeddingGeneratorGivesTheTransformsVectorsFromManyThreads()
    {
        var ml = new MLContext(1);
        var model = ml.Transforms.TextEmbedding(Options).Fit(Data(ml));
        var expected = model.Transform(Data(ml)).GetColumn<float[]>("Embedding").ToArray();
        foreach (var transformer in new[] { model, Persistence.ModelZip.Reload<TextEmbeddingTransformer>(ml, model, Data(ml).Schema) })
        {
            var generator = transformer.AsEmbeddingGenerator();
            var metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
            Assert.AreEqual(32, metadata.DefaultModelDimensions);
            Assert.AreEqual(Path.GetFileName(checkpoint.Path), metadata.DefaultModelId);
            Assert.AreEqual("MLNet.FineTune", metadata.ProviderName);
            Assert.AreSame(transformer, generator.GetService<TextEmbeddingTransformer>());
            var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(() => generator.GenerateAsync(Texts))).ToArray();
            foreach (var result in await Task.WhenAll(tasks))
            {
                Assert.AreEqual(Texts.Length, result.Count);
                for (int r = 0; r < Texts.Length; r++)
                    for (int i = 0; i < 32; i++) Assert.AreEqual(expected[r][i], result[r].Vector.Span[i], 1e-5, $"row {r} dim {i}");
            }
            var single = await generator.GenerateVectorAsync(Texts[2]);
            Assert.AreEqual(expected[2][5], single.Span[5], 1e-5);
            var shortened = (await generator.GenerateAsync([Texts[0]], new EmbeddingGenerationOptions { Dimensions = 8 }))[0].Vector.ToArray();
            Assert.AreEqual(8, shortened.Length);
            Assert.AreEqual(1.0, Norm(shortened), 1e-5);
            Assert.AreEqual(Path.GetFileName(checkpoint.Path), (await generator.GenerateAsync([Texts[0]]))[0].ModelId);
        }
    }
}
