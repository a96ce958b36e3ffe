using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Peft;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Decoders;

/// <summary>
/// PEFT LoRA adapters written by PEFT 0.11.1 for the tiny GPT-2 (Conv1D, fan_in_fan_out) and Llama (seven projections):
/// logits with the adapter and after merge_and_unload, the merged weights, PEFT's parameter counts, and our save.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public class DecoderLoraParityTests
{
    [TestMethod]
    [DataRow("gpt2-bpe-lora", "gpt2-bpe")]
    [DataRow("llama-tiny-lora", "llama-tiny")]
    public void AdapterAndMergedLogitsMatchPeft(string name, string baseModel)
    {
        var spec = DecoderFixtures.Json("peft.json")[name]!;
        var outputs = SafetensorsReader.Open(DecoderFixtures.HfDecoder(spec["outputs_file"]!.GetValue<string>()));
        var config = DecoderConfig.Load(Path.Combine(DecoderFixtures.ModelFolder(baseModel), "config.json"));
        var lora = new DecoderLora(config.ModelType);
        var model = DecoderFixtures.Load(baseModel, lora.Projection);
        lora.Attach(model);
        var targets = lora.LoadAdapter(DecoderFixtures.HfDecoder(spec["adapter_dir"]!.GetValue<string>()));
        Assert.AreEqual(spec["adapter_keys"]!.AsArray().Count / 2, targets.Count, "wrapped modules");

        var report = lora.ParameterReport();
        Assert.AreEqual(spec["trainable_params"]!.GetValue<long>(), report.Trainable, "PEFT trainable params");
        Assert.AreEqual(spec["all_params"]!.GetValue<long>(), report.All, "PEFT all params");

        AssertLogits(model, spec, outputs, $"{name} with adapter");
        lora.MergeAndUnload();
        var merged = lora.PlainStateDict();
        int compared = 0;
        foreach (var key in outputs.Entries.Keys.Where(k => k.StartsWith("merged.", StringComparison.Ordinal)))
        {
            using var expected = outputs.ReadTensor(key);
            var diff = HfReference.MaxAbsDiff(merged[key["merged.".Length..]], expected);
            Assert.IsTrue(diff < 1e-6, $"{key}: max |Δ| = {diff:G3}");
            compared++;
        }
        Assert.IsTrue(compared >= 4, "merged tensors compared");
        AssertLogits(model, spec, outputs, $"{name} merged");
    }

    [TestMethod]
    [DataRow("gpt2-bpe-lora", "gpt2-bpe")]
    [DataRow("llama-tiny-lora", "llama-tiny")]
    public void SavedAdapterIsPeftsFileAndReloads(string name, string baseModel)
    {
        var spec = DecoderFixtures.Json("peft.json")[name]!;
        var source = DecoderFixtures.HfDecoder(spec["adapter_dir"]!.GetValue<string>());
        var config = DecoderConfig.Load(Path.Combine(DecoderFixtures.ModelFolder(baseModel), "config.json"));
        var lora = new DecoderLora(config.ModelType);
        lora.Attach(DecoderFixtures.Load(baseModel, lora.Projection));
        lora.LoadAdapter(source);
        var folder = Path.Combine(Path.GetTempPath(), "decoder-lora-" + Guid.NewGuid().ToString("N"));
        try
        {
            lora.SaveAdapter(folder);
            var original = SafetensorsReader.Open(Path.Combine(source, LoraAdapterFile.WeightsFile));
            var saved = SafetensorsReader.Open(Path.Combine(folder, LoraAdapterFile.WeightsFile));
            CollectionAssert.AreEquivalent(original.Entries.Keys.ToList(), saved.Entries.Keys.ToList(), "adapter keys");
            foreach (var key in original.Entries.Keys)
            {
                using var a = original.ReadTensor(key);
                using var b = saved.ReadTensor(key);
                Assert.IsTrue(a.equal(b).all().item<bool>(), $"{key} round-trips bit for bit");
            }
            var savedConfig = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, LoraAdapterConfig.FileName)))!;
            var originalConfig = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(source, LoraAdapterConfig.FileName)))!;
            foreach (var field in new[] { "r", "lora_alpha", "fan_in_fan_out", "task_type", "bias", "peft_type" })
                Assert.AreEqual(originalConfig[field]!.ToJsonString(), savedConfig[field]!.ToJsonString(), field);
            CollectionAssert.AreEquivalent(originalConfig["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()).ToList(),
                savedConfig["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()).ToList(), "target_modules");

            var again = new DecoderLora(config.ModelType);
            var model = DecoderFixtures.Load(baseModel, again.Projection);
            again.Attach(model);
            again.LoadAdapter(folder);
            AssertLogits(model, spec, SafetensorsReader.Open(DecoderFixtures.HfDecoder(spec["outputs_file"]!.GetValue<string>())), $"{name} reloaded");
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }

    [TestMethod]
    public void DefaultTargetsAreAttentionProjectionsAsPeft()
    {
        var config = DecoderConfig.Load(Path.Combine(DecoderFixtures.ModelFolder("llama-tiny"), "config.json"));
        var lora = new DecoderLora(config.ModelType);
        lora.Attach(DecoderFixtures.Load("llama-tiny", lora.Projection));
        var targets = lora.AddAdapter("default", new LoraOptions { Rank = 4, Alpha = 16 });
        CollectionAssert.AreEqual(new[] { "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj" }, targets.ToArray());
        // r=4 on q (32→32) and v (32→16) of 2 layers: (4·32 + 32·4) + (4·32 + 16·4) = 448 per layer.
        Assert.AreEqual(896, lora.ParameterReport().Trainable);
        Assert.AreEqual(8, lora.TrainableParameters().Count);
    }

    static void AssertLogits(ICausalLanguageModel model, System.Text.Json.Nodes.JsonNode spec, SafetensorsReader outputs, string what)
    {
        using var _ = no_grad();
        foreach (var c in spec["cases"]!.AsArray())
        {
            using var scope = NewDisposeScope();
            var ids = DecoderFixtures.Matrix(DecoderFixtures.Rows(c!["input_ids"]!));
            var mask = DecoderFixtures.Matrix(DecoderFixtures.Rows(c["attention_mask"]!));
            var id = c["id"]!.GetValue<string>();
            var diff = HfReference.MaxAbsDiff(model.Logits(new DecoderInput(ids, mask)), outputs.ReadTensor($"{id}.logits"));
            Assert.IsTrue(diff < 1e-5, $"{what} {id}: max |Δlogits| = {diff:G3}");
        }
    }
}
