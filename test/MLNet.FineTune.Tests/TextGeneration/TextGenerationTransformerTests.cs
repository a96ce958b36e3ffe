using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Tests.Tokenization;

namespace MLNet.FineTune.Tests.TextGeneration;

/// <summary>The fitted text-generation model on tiny random decoders: the output column, batching, and the model zip round trip.</summary>
[TestClass]
public class TextGenerationTransformerTests
{
    sealed class Row { public string Prompt { get; set; } = ""; public string Completion { get; set; } = ""; }

    static readonly string[] Prompts = ["Date: March 3rd, 2021\nISO:", "hello", "a longer prompt with more bytes in it", "é ü 日本", "x"];

    static IDataView Data(MLContext ml) => ml.Data.LoadFromEnumerable(Prompts.Select(p => new Row { Prompt = p, Completion = "reference" }));

    [TestMethod]
    [DataRow("gpt2", false)]
    [DataRow("llama", true)]
    public void ZipRoundTripGivesIdenticalGreedyOutputs(string type, bool lora)
    {
        var ml = new MLContext(seed: 1);
        var model = TinyGenerationModels.Transformer(ml, type == "gpt2" ? TinyGenerationModels.Gpt2 : TinyGenerationModels.Llama, lora);
        var before = model.Generate(Prompts);
        Assert.IsTrue(before.Any(t => t.Length > 0), "the random model generated nothing");
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "model.zip");
        ml.Model.Save(model, Data(ml).Schema, path);
        var loaded = (TextGenerationTransformer)ml.Model.Load(path, out _);
        CollectionAssert.AreEqual(before, loaded.Generate(Prompts));
        Assert.AreEqual(model.Generation with { StopSequences = [] }, loaded.Generation with { StopSequences = [] });
        Assert.AreEqual(lora, loaded.Model.Lora is not null, "the adapter is saved unmerged");
        CollectionAssert.AreEqual(before, loaded.Transform(Data(ml)).GetColumn<string>("Completion").ToArray());
    }

    [TestMethod]
    public void TransformAddsTheGeneratedColumnBatchedAndEqualToGenerate()
    {
        var ml = new MLContext(seed: 1);
        var model = TinyGenerationModels.Transformer(ml, TinyGenerationModels.Gpt2); // BatchSize 3: 5 rows are two batches
        var scored = model.Transform(Data(ml));
        // The generated column hides the training data's Completion column of the same name, as any ML.NET output does.
        Assert.AreEqual(TextDataViewType.Instance, scored.Schema["Completion"].Type);
        Assert.IsTrue(scored.Schema.Count(c => c.Name == "Completion") == 2 && scored.Schema.Where(c => c.Name == "Completion").First().IsHidden);
        var generated = scored.GetColumn<string>("Completion").ToArray();
        CollectionAssert.AreEqual(model.Generate(Prompts), generated);
        // One at a time (PredictionEngine) equals the batch: left padding does not change a row's tokens.
        var engine = ml.Model.CreatePredictionEngine<Row, Row>(model);
        for (int i = 0; i < Prompts.Length; i++) Assert.AreEqual(generated[i], engine.Predict(new Row { Prompt = Prompts[i] }).Completion, $"row {i}");
    }

    [TestMethod]
    public void MissingPromptColumnIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var model = TinyGenerationModels.Transformer(ml, TinyGenerationModels.Gpt2);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = "x" } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.GetOutputSchema(data.Schema));
        StringAssert.Contains(e.Message, "'Prompt'");
    }

    [TestMethod]
    public void StopSequencesAndMaxNewTokensApply()
    {
        var ml = new MLContext(seed: 1);
        var model = TinyGenerationModels.Transformer(ml, TinyGenerationModels.Gpt2, generation: new TextGenerationSettings { MaxNewTokens = 6 });
        var texts = model.Generate(Prompts);
        // Each byte token decodes to at most one UTF-16 unit (an invalid byte becomes one U+FFFD).
        Assert.IsTrue(texts.All(t => t.Length <= 6), "at most 6 byte tokens");
        var longer = model.Generate(Prompts, model.Generation with { MaxNewTokens = 12 });
        for (int i = 0; i < Prompts.Length; i++) Assert.IsTrue(longer[i].StartsWith(texts[i].TrimEnd('\uFFFD'), StringComparison.Ordinal), $"greedy text grows: row {i}");
        var stop = longer.First(t => t.Length > 2)[1..2];
        var cut = model.Generate(Prompts, model.Generation with { MaxNewTokens = 12, StopSequences = [stop] });
        Assert.IsTrue(cut.All(t => !t.Contains(stop, StringComparison.Ordinal)));
    }
}
