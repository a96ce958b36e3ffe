using MLNet.FineTune.Embeddings;
using Microsoft.ML;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tests.Robustness;
using MLNet.FineTune.Tests.Tokenization;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>Embedding with the encoder of a fitted FineTune model (tiny checkpoint, a few steps).</summary>
[TestClass]
public class FineTunedEmbeddingTests
{
    sealed class Row { public string Text { get; set; } = ""; public bool Label { get; set; } }

    static readonly string[] Texts = ["hello world", "a b c", "new york", "e d", "hello a", "b c d e"];

    static IDataView Data(MLContext ml) => ml.Data.LoadFromEnumerable(Enumerable.Range(0, 16).Select(i => new Row { Text = Texts[i % Texts.Length], Label = i % 2 == 0 }));

    [TestMethod]
    public void FineTunedEncoderEmbedsAndSurvivesSaveAndLoad()
    {
        using var folder = new TempFolder();
        CorpusFixtures.TinyBert(folder.Path);
        var ml = new MLContext(1);
        var fineTuned = ml.Transforms.FineTune(CorpusFixtures.OnCheckpoint(folder.Path)).Fit(Data(ml));
        var model = ml.Transforms.TextEmbedding(new TextEmbeddingOptions { FineTunedModel = fineTuned, Normalize = false }).Fit(Data(ml));
        StringAssert.EndsWith(model.ModelId, "(fine-tuned)");
        var ours = model.Embed(Texts);
        // The same pooling straight from the fine-tuned network's own encoder.
        var direct = new TextEmbeddingScorer(fineTuned.Network.Encoder, fineTuned.Package.Tokenizer, model.Settings, true, "test").Embed(Texts);
        for (int r = 0; r < Texts.Length; r++) CollectionAssert.AreEqual(direct[r], ours[r], $"row {r}");
        // Training moved the weights: the base checkpoint embeds differently.
        var baseVectors = ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModelFolder = folder.Path, Normalize = false }).Fit(Data(ml)).Embed(Texts);
        Assert.IsTrue(Enumerable.Range(0, Texts.Length).Any(r => !baseVectors[r].SequenceEqual(ours[r])), "fine-tuning changed the embeddings");
        var loaded = Persistence.ModelZip.Reload<TextEmbeddingTransformer>(ml, model, Data(ml).Schema);
        var reloaded = loaded.Embed(Texts);
        for (int r = 0; r < Texts.Length; r++) CollectionAssert.AreEqual(ours[r], reloaded[r], $"row {r}");
    }

    [TestMethod]
    public void LoraModelsAreRefusedByName()
    {
        using var folder = new TempFolder();
        CorpusFixtures.TinyBert(folder.Path);
        var ml = new MLContext(1);
        var lora = ml.Transforms.FineTune(CorpusFixtures.OnCheckpoint(folder.Path) with { Peft = new PeftOptions { Method = PeftMethod.Lora } }).Fit(Data(ml));
        var error = Assert.ThrowsExactly<NotSupportedException>(() => ml.Transforms.TextEmbedding(new TextEmbeddingOptions { FineTunedModel = lora }).Fit(Data(ml)));
        StringAssert.Contains(error.Message, "Lora");
    }
}
