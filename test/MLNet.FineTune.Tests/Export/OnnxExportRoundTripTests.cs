using MLNet.FineTune.Export;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Onnx;
using MLNet.FineTune.Peft;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// An exported BERT encoder reads back through our own ONNX importer (Modeling/Onnx): the structure gives every weight
/// its Hugging Face role, the config comes back, the weights are the model's effective ones (LoRA merged), and an
/// encoder built from the import computes what the fitted network's encoder computes.
/// </summary>
[TestClass]
[DoNotParallelize]
public class OnnxExportRoundTripTests
{
    [TestMethod]
    [DataRow(PeftMethod.Full)]
    [DataRow(PeftMethod.Lora)]
    public void BertEncoderImportsBackWithItsEffectiveWeights(PeftMethod method)
    {
        using var network = ExportTestNetworks.Build("bert", method, ExportTestNetworks.Binary());
        var imported = OnnxEncoderImporter.Import(OnnxExport.BuildEncoder(network).ToArray(), "exported.onnx");
        var config = network.Encoder.Config;
        Assert.AreEqual((config.HiddenSize, config.NumLayers, config.NumHeads, config.IntermediateSize, config.VocabSize, config.MaxPositionEmbeddings, config.TypeVocabSize, "gelu"),
            (imported.Config.HiddenSize, imported.Config.NumLayers, imported.Config.NumHeads, imported.Config.IntermediateSize, imported.Config.VocabSize,
             imported.Config.MaxPositionEmbeddings, imported.Config.TypeVocabSize, imported.Config.HiddenAct));

        var expected = EffectiveWeights(network);
        CollectionAssert.AreEquivalent(expected.Keys.ToArray(), imported.Weights.Keys.ToArray());
        foreach (var (name, values) in expected)
        {
            var got = imported.Weights[name].Values;
            double worst = values.Zip(got, (a, b) => (double)Math.Abs(a - b)).Max();
            Assert.IsTrue(worst < 1e-7, $"{name}: differs by {worst:E2}");
        }

        using var reloaded = EncoderFactory.Create(imported.Config);
        var stateDict = imported.ToStateDict();
        var report = StateDictLoader.Load(reloaded, stateDict, "exported.onnx");
        foreach (var t in stateDict.Values) t.Dispose();
        Assert.AreEqual(0, report.Missing.Count + report.Unexpected.Count, report.ToString());
        reloaded.eval();
        var batch = ExportTestNetworks.Batches(config).First();
        using var _ = no_grad();
        var shape = new long[] { batch.B, batch.T };
        using var ours = network.Encoder.Forward(tensor(batch.Ids, shape), tensor(batch.Mask, shape), tensor(batch.Types, shape));
        using var theirs = reloaded.Forward(tensor(batch.Ids, shape), tensor(batch.Mask, shape), tensor(batch.Types, shape));
        double hidden = ours.LastHiddenState.sub(theirs.LastHiddenState).abs().max().item<float>();
        Assert.IsTrue(hidden < 1e-5, $"last hidden state differs by {hidden:E2}");
    }

    /// <summary>The encoder's weights as a plain BERT holds them: LoRA layers' base + B·A·scaling, computed here independently of the export.</summary>
    static Dictionary<string, float[]> EffectiveWeights(TaskNetwork network)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var result = new Dictionary<string, float[]>();
        var lora = network.Peft?.Lora;
        foreach (var (name, p) in network.Encoder.named_parameters())
        {
            if (name.Contains(".lora_")) continue;
            var plain = name.Replace(".base_layer.", ".");
            var value = (Tensor)p;
            if (lora is not null && name.EndsWith(".base_layer.weight") && lora.Layers.TryGetValue(name[..^".base_layer.weight".Length], out var layer))
                foreach (var adapter in layer.Adapters)
                    value = value + layer.LoraB(adapter).weight!.matmul(layer.LoraA(adapter).weight!) * layer.Scaling(adapter);
            result[plain] = ExportTestNetworks.Floats(value);
        }
        return result;
    }
}
