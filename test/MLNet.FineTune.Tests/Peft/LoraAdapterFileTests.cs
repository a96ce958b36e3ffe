using System.Text.Json.Nodes;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using static MLNet.FineTune.Tests.Peft.PeftTestModels;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Peft;

/// <summary>PEFT-format adapter files against the adapter and outputs PEFT 0.11.1 produced (hf-reference/peft/).</summary>
[TestClass]
public class LoraAdapterFileTests
{
    const double Tolerance = 1e-5;

    static (PeftModel Model, EncoderModel Encoder) LoadBase()
    {
        var model = new PeftModel(new PeftOptions { Method = PeftMethod.Lora }, "bert");
        var encoder = PretrainedEncoder.Load(SharedFixtures.HfReference("models/bert-wordpiece"), model.Projection).Encoder;
        model.Attach(encoder);
        encoder.eval();
        return (model, encoder);
    }

    [TestMethod]
    [TestCategory("Integration")]
    public void PeftAdapterReproducesPeftOutputsAndMergedWeights()
    {
        var (model, encoder) = LoadBase();
        var loaded = LoraAdapterFile.Load(SharedFixtures.HfReference("peft/bert-wordpiece-lora"), model);
        Assert.AreEqual(4, loaded.Targets.Count);
        Assert.AreEqual(2.0, model.Lora!.Layers["encoder.layer.0.attention.self.query"].Scaling("default"));
        Assert.AreEqual("trainable params: 1,024 || all params: 994,538 || trainable%: 0.1030", model.ParameterReport().ToString());
        AssertOutputs(encoder, "adapter active");

        var (_, outputs) = HfReference.Load("bert-wordpiece-lora");
        model.Lora.Merge();
        foreach (var path in loaded.Targets)
        {
            var expected = outputs.ReadTensor($"merged.{path}.weight");
            Assert.IsTrue(HfReference.MaxAbsDiff(model.Lora.Layers[path].BaseLayer.weight!, expected) <= 1e-6, path);
        }
        AssertOutputs(encoder, "merged");
    }

    static void AssertOutputs(EncoderModel encoder, string what)
    {
        var (cases, outputs) = HfReference.Load("bert-wordpiece-lora");
        using var _ = no_grad();
        foreach (var c in cases)
        {
            using var scope = NewDisposeScope();
            var result = encoder.Forward(new EncoderInput(c.Mask, c.Ids, c.Types));
            foreach (var (output, key) in c.OutputTensors)
            {
                var actual = output == "pooler_output" ? result.Pooled! : result.LastHiddenState;
                var expected = outputs.ReadTensor(key);
                if (output != "pooler_output" && c.Kind == "batch") { actual = actual * c.Mask.unsqueeze(-1); expected = expected * c.Mask.unsqueeze(-1); }
                var diff = HfReference.MaxAbsDiff(actual, expected);
                Assert.IsTrue(diff <= Tolerance, $"{what} {c.Id} {output}: max abs diff {diff:E2}");
            }
        }
    }

    [TestMethod]
    [TestCategory("Integration")]
    public void LoraAInitFollowsPeftsRandomDraws()
    {
        var model = new PeftModel(new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 4, Alpha = 8 } }, "bert");
        var encoder = PretrainedEncoder.Load(SharedFixtures.HfReference("models/bert-wordpiece"), model.Projection).Encoder;
        manual_seed(0);
        model.Attach(encoder);
        var file = SafetensorsReader.Open(SharedFixtures.HfReference("peft/bert-wordpiece-lora/adapter_model.safetensors"));
        foreach (var (path, layer) in model.Lora!.Layers.Where(l => l.Value.Adapters.Count > 0))
            Assert.AreEqual(0.0, HfReference.MaxAbsDiff(layer.LoraA("default").weight!, file.ReadTensor($"base_model.model.{path}.lora_A.weight")), 0.0, path);
    }

    [TestMethod]
    [TestCategory("Integration")]
    public void SavedFilesRoundTripToTheSameBytesAndConfigFields()
    {
        var fixture = SharedFixtures.HfReference("peft/bert-wordpiece-lora");
        var (model, _) = LoadBase();
        LoraAdapterFile.Load(fixture, model);
        var dir = Directory.CreateTempSubdirectory("peft-roundtrip").FullName;
        try
        {
            var identity = BaseModelIdentity.FromFolder(SharedFixtures.HfReference("models/bert-wordpiece"));
            LoraAdapterFile.Save(dir, model, identity);
            var original = SafetensorsReader.Open(Path.Combine(fixture, LoraAdapterFile.WeightsFile));
            var written = SafetensorsReader.Open(Path.Combine(dir, LoraAdapterFile.WeightsFile));
            CollectionAssert.AreEquivalent(original.Entries.Keys.ToList(), written.Entries.Keys.ToList());
            foreach (var key in original.Entries.Keys)
                CollectionAssert.AreEqual(original.ReadTensor(key).data<float>().ToArray(), written.ReadTensor(key).data<float>().ToArray(), key);
            Assert.AreEqual(identity.WeightsSha256, written.Metadata[LoraAdapterFile.MetaBaseSha256]);
            Assert.AreEqual("bert-wordpiece", written.Metadata[LoraAdapterFile.MetaBaseName]);

            var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, LoraAdapterConfig.FileName)))!.AsObject();
            var actual = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, LoraAdapterConfig.FileName)))!.AsObject();
            CollectionAssert.AreEqual(expected.Select(kv => kv.Key).ToList(), actual.Select(kv => kv.Key).ToList(), "same fields, same order");
            foreach (var (k, v) in expected)
                if (k != "base_model_name_or_path") Assert.IsTrue(JsonNode.DeepEquals(v, actual[k]), $"{k}: {v?.ToJsonString()} vs {actual[k]?.ToJsonString()}");
            Assert.AreEqual("bert-wordpiece", actual["base_model_name_or_path"]!.GetValue<string>());
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    [TestCategory("Integration")]
    public void AdapterForAnotherBaseShapeIsRefusedNamingKeyAndShapes()
    {
        var config = Tiny() with { HiddenSize = 48 };
        var model = new PeftModel(new PeftOptions { Method = PeftMethod.Lora }, "bert");
        model.Attach(EncoderFactory.Create(config, model.Projection));
        var e = Assert.ThrowsExactly<CheckpointException>(() => LoraAdapterFile.Load(SharedFixtures.HfReference("peft/bert-wordpiece-lora"), model));
        StringAssert.Contains(e.Message, "base_model.model.encoder.layer.0.attention.self.query.lora_A.weight");
        StringAssert.Contains(e.Message, "[4,32]");
        StringAssert.Contains(e.Message, "[4,48]");
        Assert.AreEqual(1, model.Lora!.Adapters.Count, "the existing adapter is untouched");
    }

    [TestMethod]
    public void DifferentRecordedBaseGivesAWarning()
    {
        var (_, _, model) = Pair(new PeftOptions { Method = PeftMethod.Lora });
        var dir = Directory.CreateTempSubdirectory("peft-base").FullName;
        try
        {
            LoraAdapterFile.Save(dir, model, new BaseModelIdentity("base-a", "aaaa"));
            var log = new List<string>();
            var same = LoraAdapterFile.Load(dir, model, actualBase: new BaseModelIdentity("base-a", "aaaa"), warn: log.Add);
            Assert.AreEqual(0, same.Warnings.Count);
            var other = LoraAdapterFile.Load(dir, model, actualBase: new BaseModelIdentity("base-b", "bbbb"), warn: log.Add);
            Assert.AreEqual(1, other.Warnings.Count);
            CollectionAssert.AreEqual(other.Warnings.ToList(), log);
            StringAssert.Contains(log[0], "base-a");
            StringAssert.Contains(log[0], "base-b");
            Assert.AreEqual("base-a", other.RecordedBase!.Name);
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void SequenceClassifierAdapterUsesPeftTaskKeysAndRoundTrips()
    {
        var config = Tiny();
        var options = new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { InitLoraWeights = false, Bias = LoraBias.LoraOnly } };
        var (_, encoder, model) = Pair(options, config, new PooledLinearClassifier(config, 3));
        var dir = Directory.CreateTempSubdirectory("peft-seqcls").FullName;
        try
        {
            using (no_grad()) foreach (var p in model.TrainableParameters()) p.add_(0.01);
            LoraAdapterFile.Save(dir, model);
            var keys = SafetensorsReader.Open(Path.Combine(dir, LoraAdapterFile.WeightsFile)).Entries.Keys.ToList();
            CollectionAssert.Contains(keys, "base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight");
            CollectionAssert.Contains(keys, "base_model.model.bert.encoder.layer.0.attention.self.query.base_layer.bias");
            CollectionAssert.Contains(keys, "base_model.model.classifier.weight");
            Assert.AreEqual(8 + 4 + 2, keys.Count);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, LoraAdapterConfig.FileName)))!;
            Assert.AreEqual("SEQ_CLS", json["task_type"]!.GetValue<string>());
            Assert.AreEqual("classifier", json["modules_to_save"]![0]!.GetValue<string>());
            Assert.IsNull(json["auto_mapping"]);

            var head2 = new PooledLinearClassifier(config, 3);
            var (_, encoder2, model2) = Pair(new PeftOptions { Method = PeftMethod.Lora }, config, head2);
            LoraAdapterFile.Load(dir, model2);
            head2.eval(); model.Head!.eval();
            using var _ = no_grad();
            var input = Batch();
            var expected = ((ClassifierModule)model.Head).Forward(encoder.Forward(input));
            Assert.AreEqual(0.0, MaxDiff(head2.Forward(encoder2.Forward(input)), expected), 1e-6);
        }
        finally { Directory.Delete(dir, true); }
    }

    // PEFT marks biases trainable from the adapter's own config (bias "lora_only": the biases of the layers it wraps;
    // "all": every bias); a model built with the default bias "none" must follow the adapter it loads, not its own options.
    [TestMethod]
    [DataRow(LoraBias.LoraOnly, 2048 + 4 * 32)]   // lora A+B: 4 projections × (8·32 + 32·8); biases of query,value × 2 layers
    [DataRow(LoraBias.All, 2048 + 32 + 2 * 261 + 32)] // every bias: embeddings LN; per layer q,k,v,o 4·32, LN 32, FFN 37+32, LN 32; pooler
    public void LoadedAdapterBringsItsBiasSetting(LoraBias bias, long expectedTrainable)
    {
        var (_, _, source) = Pair(new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Bias = bias } });
        var dir = Directory.CreateTempSubdirectory("peft-bias").FullName;
        try
        {
            using (no_grad()) foreach (var p in source.TrainableParameters()) p.add_(0.01);
            LoraAdapterFile.Save(dir, source);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, LoraAdapterConfig.FileName)))!;
            Assert.AreEqual(bias == LoraBias.All ? "all" : "lora_only", json["bias"]!.GetValue<string>());

            var (_, encoder, model) = Pair(new PeftOptions { Method = PeftMethod.Lora });
            var loaded = LoraAdapterFile.Load(dir, model);
            Assert.AreEqual(bias, loaded.Options.Bias);
            Assert.AreEqual(source.ParameterReport().Trainable, model.ParameterReport().Trainable);
            Assert.AreEqual(expectedTrainable, model.ParameterReport().Trainable);
            var query = encoder.named_parameters().Single(p => p.name == "encoder.layer.0.attention.self.query.base_layer.bias").parameter;
            Assert.IsTrue(query.requires_grad, "a wrapped layer's bias trains");
            var key = encoder.named_parameters().Single(p => p.name == "encoder.layer.0.attention.self.key.base_layer.bias").parameter;
            Assert.AreEqual(bias == LoraBias.All, key.requires_grad, "an unwrapped layer's bias trains only with bias all");
            var sourceQuery = source.Encoder.named_parameters().Single(p => p.name == "encoder.layer.0.attention.self.query.base_layer.bias").parameter;
            Assert.AreEqual(0.0, MaxDiff(query, sourceQuery), "the file's bias values are loaded");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void AdapterWithoutBiasFreezesBiasesOfAModelBuiltWithBiasAll()
    {
        var (_, _, source) = Pair(new PeftOptions { Method = PeftMethod.Lora });
        var dir = Directory.CreateTempSubdirectory("peft-bias").FullName;
        try
        {
            LoraAdapterFile.Save(dir, source);
            var (_, _, model) = Pair(new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Bias = LoraBias.All } });
            LoraAdapterFile.Load(dir, model);
            Assert.AreEqual(2048, model.ParameterReport().Trainable);
        }
        finally { Directory.Delete(dir, true); }
    }
}
