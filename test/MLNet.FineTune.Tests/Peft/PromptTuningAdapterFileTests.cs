using System.Text.Json.Nodes;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using static MLNet.FineTune.Tests.Peft.PeftTestModels;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Peft;

/// <summary>
/// PEFT's PROMPT_TUNING adapter format. No PEFT-made prompt-tuning adapter is among the shared fixtures, so the expected
/// layout is PEFT 0.11.1's (PromptTuningConfig fields, sorted; key prompt_embeddings), written out here.
/// </summary>
[TestClass]
public class PromptTuningAdapterFileTests
{
    static PeftOptions Options(int n) => new() { Method = PeftMethod.PromptTuning, PromptTuning = new PromptTuningOptions { NumVirtualTokens = n } };

    static string NewFolder() => Directory.CreateTempSubdirectory("peft-prompt").FullName;

    // The fields PEFT 0.11.1's PromptTuningConfig writes, in its sort_keys order.
    static readonly string[] PeftFields =
    {
        "auto_mapping", "base_model_name_or_path", "inference_mode", "num_attention_heads", "num_layers", "num_transformer_submodules",
        "num_virtual_tokens", "peft_type", "prompt_tuning_init", "prompt_tuning_init_text", "revision", "task_type", "token_dim",
        "tokenizer_kwargs", "tokenizer_name_or_path",
    };

    [TestMethod]
    public void SaveWritesPeftsConfigFieldsAndPromptEmbeddings()
    {
        var (_, _, model) = Pair(Options(3));
        var dir = NewFolder();
        try
        {
            PromptTuningAdapterFile.Save(dir, model.Prompt!, Tiny(), "SEQ_CLS", "tiny-bert");
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!.AsObject();
            CollectionAssert.AreEqual(PeftFields, json.Select(kv => kv.Key).ToArray());
            Assert.AreEqual("PROMPT_TUNING", json["peft_type"]!.GetValue<string>());
            Assert.AreEqual(3, json["num_virtual_tokens"]!.GetValue<int>());
            Assert.AreEqual(32, json["token_dim"]!.GetValue<int>());
            Assert.AreEqual(2, json["num_layers"]!.GetValue<int>());
            Assert.AreEqual(4, json["num_attention_heads"]!.GetValue<int>());
            Assert.AreEqual(1, json["num_transformer_submodules"]!.GetValue<int>());
            Assert.AreEqual("SEQ_CLS", json["task_type"]!.GetValue<string>());
            Assert.AreEqual("RANDOM", json["prompt_tuning_init"]!.GetValue<string>());
            Assert.IsNull(json["auto_mapping"]);

            var file = SafetensorsReader.Open(Path.Combine(dir, "adapter_model.safetensors"));
            CollectionAssert.AreEqual(new[] { "prompt_embeddings" }, file.Entries.Keys.ToArray());
            Assert.AreEqual(0.0, MaxDiff(file.ReadTensor("prompt_embeddings"), model.Prompt!.Weight));
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void BareEncoderPromptWritesPeftsAutoMapping()
    {
        var (_, _, model) = Pair(Options(2));
        var dir = NewFolder();
        try
        {
            PromptTuningAdapterFile.Save(dir, model.Prompt!, Tiny());
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!;
            Assert.IsNull(json["task_type"]);
            Assert.AreEqual("BertModel", json["auto_mapping"]!["base_model_class"]!.GetValue<string>());
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void SavedPromptLoadsIntoAnotherModelAndGivesTheSameOutputs()
    {
        var (_, encoder, model) = Pair(Options(3));
        var dir = NewFolder();
        try
        {
            using (no_grad()) model.Prompt!.Weight.add_(0.5); // "trained": differs from the seeded init the second model gets
            PromptTuningAdapterFile.Save(dir, model.Prompt!, Tiny());
            var (_, encoder2, model2) = Pair(Options(3));
            Assert.IsTrue(MaxDiff(model2.Prompt!.Weight, model.Prompt!.Weight) > 0.1);

            var loaded = PromptTuningAdapterFile.LoadInto(dir, model2.Prompt!);

            Assert.AreEqual(3, loaded.Options.NumVirtualTokens);
            Assert.AreEqual(32, loaded.TokenDim);
            Assert.AreEqual(0.0, MaxDiff(model2.Prompt!.Weight, model.Prompt!.Weight));
            using var _ = no_grad();
            var input = Batch();
            Assert.AreEqual(0.0, MaxDiff(encoder2.Forward(model2.PrepareInput(input)).LastHiddenState, encoder.Forward(model.PrepareInput(input)).LastHiddenState), 1e-6);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void PeftWrittenSequenceClassifierAdapterReadsPromptAndListsTheHeadKeys()
    {
        var dir = NewFolder();
        try
        {
            File.WriteAllText(Path.Combine(dir, "adapter_config.json"), """
                {
                  "auto_mapping": null,
                  "base_model_name_or_path": "bert-base-uncased",
                  "inference_mode": true,
                  "num_attention_heads": 12,
                  "num_layers": 12,
                  "num_transformer_submodules": 1,
                  "num_virtual_tokens": 4,
                  "peft_type": "PROMPT_TUNING",
                  "prompt_tuning_init": "TEXT",
                  "prompt_tuning_init_text": "Classify the sentiment",
                  "revision": null,
                  "task_type": "SEQ_CLS",
                  "token_dim": 8,
                  "tokenizer_kwargs": null,
                  "tokenizer_name_or_path": "bert-base-uncased"
                }
                """);
            var prompt = arange(32, dtype: ScalarType.Float32).reshape(4, 8);
            SafetensorsWriter.Save(Path.Combine(dir, "adapter_model.safetensors"), new Dictionary<string, Tensor>
            {
                ["prompt_embeddings"] = prompt, ["base_model.classifier.weight"] = zeros(2, 8), ["base_model.classifier.bias"] = zeros(2),
            });

            var loaded = PromptTuningAdapterFile.Load(dir);

            Assert.AreEqual(4, loaded.Options.NumVirtualTokens);
            Assert.AreEqual(8, loaded.TokenDim);
            Assert.AreEqual("SEQ_CLS", loaded.TaskType);
            Assert.AreEqual(0.0, MaxDiff(loaded.Weights, prompt));
            CollectionAssert.AreEqual(new[] { "base_model.classifier.bias", "base_model.classifier.weight" }, loaded.OtherKeys.ToArray());
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void LoraConfigIsRefusedNamingThePeftType()
    {
        var dir = NewFolder();
        try
        {
            File.WriteAllText(Path.Combine(dir, "adapter_config.json"), """{ "peft_type": "LORA", "r": 4 }""");
            var e = Assert.ThrowsExactly<NotSupportedException>(() => PromptTuningAdapterFile.Load(dir));
            StringAssert.Contains(e.Message, "adapter_config.json: peft_type is 'LORA'; a prompt-tuning adapter has 'PROMPT_TUNING'");
            StringAssert.Contains(e.Message, "LoraAdapterFile");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void PromptShapeDisagreeingWithTheConfigIsRefused()
    {
        var (_, _, model) = Pair(Options(3));
        var dir = NewFolder();
        try
        {
            PromptTuningAdapterFile.Save(dir, model.Prompt!, Tiny());
            var path = Path.Combine(dir, "adapter_config.json");
            File.WriteAllText(path, File.ReadAllText(path).Replace("\"num_virtual_tokens\": 3", "\"num_virtual_tokens\": 4"));
            var e = Assert.ThrowsExactly<CheckpointException>(() => PromptTuningAdapterFile.Load(dir));
            StringAssert.Contains(e.Message, "'prompt_embeddings' has shape [3,32]");
            StringAssert.Contains(e.Message, "(num_virtual_tokens 4, token_dim 32) needs [4,32]");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void PromptOfAnotherSizeIsRefusedAndTheModelKeepsItsPrompt()
    {
        var (_, _, model) = Pair(Options(3));
        var (_, _, other) = Pair(Options(5));
        var dir = NewFolder();
        try
        {
            PromptTuningAdapterFile.Save(dir, model.Prompt!, Tiny());
            var before = other.Prompt!.Weight.clone();
            var e = Assert.ThrowsExactly<CheckpointException>(() => PromptTuningAdapterFile.LoadInto(dir, other.Prompt!));
            StringAssert.Contains(e.Message, "'prompt_embeddings' is [3,32] but the model's prompt is [5,32]");
            Assert.AreEqual(0.0, MaxDiff(other.Prompt!.Weight, before));
        }
        finally { Directory.Delete(dir, true); }
    }
}
