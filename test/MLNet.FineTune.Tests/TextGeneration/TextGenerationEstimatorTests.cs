using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tests.Tokenization;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.TextGeneration;

/// <summary>The text-generation estimator on tiny decoders: options, LoRA defaults, PEFT adapter files out and back in, chat data.</summary>
[TestClass]
public class TextGenerationEstimatorTests
{
    sealed class Row { public string Prompt { get; set; } = ""; public string Completion { get; set; } = ""; }
    sealed class ChatRow { public string Messages { get; set; } = ""; public string Prompt { get; set; } = ""; }

    static readonly Row[] Rows = Enumerable.Range(0, 12).Select(i => new Row { Prompt = $"n{i}:", Completion = $" {i * 7 % 10}" }).ToArray();

    [TestMethod]
    public void OptionsAreCheckedAtConstruction()
    {
        var ml = new MLContext(seed: 1);
        void Refused<T>(TextGenerationFineTuneOptions o, string fragment) where T : Exception =>
            StringAssert.Contains(Assert.ThrowsExactly<T>(() => ml.Transforms.FineTuneTextGeneration(o)).Message, fragment);
        Refused<ArgumentException>(new TextGenerationFineTuneOptions(), "set exactly one of BaseModelFolder");
        var scratch = new TextGenerationFineTuneOptions { Scratch = TinyGenerationModels.Gpt2 };
        Refused<ArgumentOutOfRangeException>(scratch with { Scratch = TinyGenerationModels.Gpt2 with { NumHeads = 3 } }, "hidden size 16 is not a multiple");
        Refused<ArgumentOutOfRangeException>(scratch with { Scratch = TinyGenerationModels.Gpt2 with { ModelType = "bert" } }, "ModelType");
        Refused<ArgumentException>(scratch with { Peft = new PeftOptions { Method = PeftMethod.Lora } }, "random weights need full training");
        Refused<NotSupportedException>(scratch with { Peft = new PeftOptions { Method = PeftMethod.PromptTuning } }, "Use Full or Lora".Replace("Use", "use"));
        Refused<NotSupportedException>(scratch with { Peft = new PeftOptions { FreezeWordEmbeddings = true } }, "FreezeWordEmbeddings is for encoders");
        Refused<ArgumentException>(scratch with { AdapterFolder = "x" }, "AdapterFolder needs BaseModelFolder");
        Refused<ArgumentException>(scratch with { CompletionColumnName = "Prompt" }, "needs two columns");
        Refused<ArgumentOutOfRangeException>(scratch with { Generation = new TextGenerationSettings { TopP = 0 } }, "Generation.TopP");
        Refused<ArgumentOutOfRangeException>(scratch with { MaxSequenceLength = 1 }, "MaxSequenceLength");
        var data = ml.Data.LoadFromEnumerable(new[] { new { Prompt = "x" } });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.FineTuneTextGeneration(scratch).Fit(data)).Message, "'Completion'");
    }

    [TestMethod]
    public void LoraAdapterGoesOutInPeftFormatAndComesBackIn()
    {
        var ml = new MLContext(seed: 1);
        using var folder = new TempFolder();
        var baseFolder = Path.Combine(folder.Path, "tiny-gpt2");
        TinyGenerationModels.WriteCheckpoint(baseFolder, TinyGenerationModels.Gpt2);
        var data = ml.Data.LoadFromEnumerable(Rows);
        var options = new TextGenerationFineTuneOptions
        {
            BaseModelFolder = baseFolder, Training = new TrainingOptions { LearningRate = 3e-2, MaxSteps = 4, BatchSize = 4 },
            Generation = new TextGenerationSettings { MaxNewTokens = 6 },
        };
        var model = ml.Transforms.FineTuneTextGeneration(options).Fit(data);
        Assert.AreEqual(4, model.History.GlobalStep);
        var lora = model.Model.LoraOptions!;
        Assert.AreEqual(16, lora.Rank, "default LoRA: r 16 on attention and MLP projections");
        var adapter = Path.Combine(folder.Path, "adapter");
        model.SaveLoraAdapter(adapter);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")))!;
        Assert.AreEqual("CAUSAL_LM", (string?)config["task_type"]);
        Assert.IsTrue((bool)config["fan_in_fan_out"]!, "GPT-2's Conv1D layout, as PEFT writes it");
        var targets = config["target_modules"]!.AsArray().Select(t => (string)t!).ToHashSet();
        Assert.IsTrue(new[] { "c_attn", "c_proj", "c_fc" }.All(t => targets.Any(x => x == t || x.EndsWith("." + t))), string.Join(",", targets));
        var keys = global::MLNet.FineTune.Modeling.Checkpoints.SafetensorsReader.Open(Path.Combine(adapter, "adapter_model.safetensors")).Entries.Keys.ToList();
        Assert.AreEqual(2 * 2 * 4, keys.Count, "A and B for c_attn, attn.c_proj, c_fc, mlp.c_proj in 2 layers");
        Assert.IsTrue(keys.All(k => k.StartsWith("base_model.model.transformer.h.", StringComparison.Ordinal) && (k.EndsWith(".lora_A.weight") || k.EndsWith(".lora_B.weight"))), keys[0]);

        // Back in without training (no data read): the same base plus the adapter writes what the fitted model wrote.
        var prompts = Rows.Select(r => r.Prompt).ToList();
        var reloaded = ml.Transforms.FineTuneTextGeneration(options with { AdapterFolder = adapter }).CreateWithoutTraining();
        Assert.AreEqual(0, reloaded.History.GlobalStep);
        Assert.AreEqual(16, reloaded.Model.LoraOptions!.Rank, "the adapter's own settings");
        CollectionAssert.AreEqual(model.Generate(prompts), reloaded.Generate(prompts));
        // Trained further at learning rate 0, it still writes the same (Fit continues from the adapter).
        var continued = ml.Transforms.FineTuneTextGeneration(options with { AdapterFolder = adapter, Training = new TrainingOptions { LearningRate = 0, MaxSteps = 1, BatchSize = 4 } }).Fit(data);
        CollectionAssert.AreEqual(model.Generate(prompts), continued.Generate(prompts));
        var untouched = ml.Transforms.FineTuneTextGeneration(options).CreateWithoutTraining();
        Assert.IsNull(untouched.Model.Lora, "the base alone gets no (no-op) adapter");
        CollectionAssert.AreNotEqual(model.Generate(prompts), untouched.Generate(prompts), "the adapter changes what the base writes");
        Assert.ThrowsExactly<InvalidOperationException>(() => TinyGenerationModels.Transformer(ml, TinyGenerationModels.Gpt2).SaveLoraAdapter(adapter));
    }

    [TestMethod]
    public void ChatDataTrainsAndTheModelAnswersPromptsAsUserTurns()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 6).Select(i => new ChatRow
        {
            Messages = $$"""[{"role":"user","content":"hi {{i}}"},{"role":"assistant","content":"hello {{i}}"}]""", Prompt = $"hi {i}",
        }).ToList();
        var options = new TextGenerationFineTuneOptions
        {
            Scratch = TinyGenerationModels.Gpt2 with { MaxPositions = 128 }, MessagesColumnName = "Messages", ValidationFraction = 0.34,
            Training = new TrainingOptions { LearningRate = 1e-2, MaxSteps = 3, BatchSize = 2 }, Generation = new TextGenerationSettings { MaxNewTokens = 5 },
        };
        var model = ml.Transforms.FineTuneTextGeneration(options).Fit(ml.Data.LoadFromEnumerable(rows));
        Assert.IsTrue(model.History.Evaluations.Count > 0 && model.History.Evaluations[^1].Metrics.ContainsKey("perplexity"));
        var generated = model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<string>("Completion").ToArray();
        var direct = model.AsChatClient().GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "hi 0")]).Result.Text;
        Assert.AreEqual(direct, generated[0], "a prompt row is a user turn");
        var bad = new[] { new ChatRow { Messages = """[{"role":"user","content":"x"}]""" } };
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ml.Transforms.FineTuneTextGeneration(options with { ValidationFraction = 0 }).Fit(ml.Data.LoadFromEnumerable(bad)));
        StringAssert.Contains(e.Message, "row index 0");
    }
}
