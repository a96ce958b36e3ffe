using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNet.FineTune.Export;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Peft;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// An exported network computes in ONNX Runtime what it computes in TorchSharp: every head's logits and the ML.NET
/// columns derived from them (Score, Probability, PredictedLabel, per-token probabilities) within 1e-5, on a padded
/// batch and on a single row, for BERT, RoBERTa and DistilBERT under every PEFT method (full, head-only, BitFit, LoRA
/// merged at export, Houlsby and Pfeiffer adapters, prompt tuning), with three head kinds in one multi-task graph; in the
/// standard operator set and with ONNX Runtime's fused operators (<see cref="OnnxOperators.OnnxRuntimeFused"/>), whose
/// graph must really contain them (a silent fallback to the standard form fails).
/// </summary>
[TestClass]
[DoNotParallelize]
public class OnnxExportParityTests
{
    const double Tolerance = 1e-5;

    public static IEnumerable<object[]> Cases =>
        from type in new[] { "bert", "roberta", "distilbert" }
        from method in Enum.GetValues<PeftMethod>() // every method: a new one must export (or be refused) before it ships
        from fused in new[] { false, true }
        select new object[] { type, method, fused };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void MultiTaskGraphMatchesTorchSharp(string modelType, PeftMethod method, bool fused)
    {
        using var network = ExportTestNetworks.Build(modelType, method, ExportTestNetworks.Multiclass(), ExportTestNetworks.Regression(), ExportTestNetworks.Tokens());
        var bytes = OnnxExport.Build(network, "", [], fused: fused).ToArray();
        AssertFusedOperators(bytes, network.Encoder.Config, fused);
        using var session = new InferenceSession(bytes);
        CollectionAssert.AreEquivalent(
            new[] { "topic.Logits", "topic.Score", "topic.PredictedLabel", "score.Score", "ner.Logits", "ner.TokenProbabilities" },
            session.OutputMetadata.Keys.ToArray());
        double worst = 0;
        foreach (var batch in ExportTestNetworks.Batches(network.Encoder.Config))
        {
            var torchLogits = ExportTestNetworks.TorchLogits(network, batch);
            var ort = ExportTestNetworks.OnnxRuntime(session, batch);
            var topic = (FittedClassificationHead)network.Tasks[0];
            var decoded = topic.Decode(torchLogits[0], [], []);
            worst = Math.Max(worst, Compare("topic.Logits", ExportTestNetworks.Floats(torchLogits[0]), (float[])ort["topic.Logits"]));
            worst = Math.Max(worst, Compare("topic.Score", ((VBuffer<float>[])decoded[0]).SelectMany(v => v.DenseValues()).ToArray(), (float[])ort["topic.Score"]));
            CollectionAssert.AreEqual((uint[])decoded[1], (uint[])ort["topic.PredictedLabel"], "PredictedLabel: ML.NET's 1-based key");
            worst = Math.Max(worst, Compare("score.Score", ExportTestNetworks.Floats(torchLogits[1]), (float[])ort["score.Score"]));
            Assert.AreEqual(batch.B * batch.T * ExportTestNetworks.Tags.Length, ((float[])ort["ner.Logits"]).Length, "token outputs cover the real tokens only (no virtual tokens)");
            // Padding positions are compared nowhere: nothing decodes them, and a packed TorchSharp pass leaves them at the head's bias.
            int tags = ExportTestNetworks.Tags.Length;
            worst = Math.Max(worst, Compare("ner.Logits", RealTokens(ExportTestNetworks.Floats(torchLogits[2]), batch.Mask, tags), RealTokens((float[])ort["ner.Logits"], batch.Mask, tags)));
            worst = Math.Max(worst, Compare("ner.TokenProbabilities", RealTokens(ExportTestNetworks.Floats(nn.functional.softmax(torchLogits[2], -1)), batch.Mask, tags),
                RealTokens((float[])ort["ner.TokenProbabilities"], batch.Mask, tags)));
        }
        Console.WriteLine($"{modelType} {method}{(fused ? " fused" : "")}: max |TorchSharp − ONNX Runtime| = {worst:E2}");
    }

    /// <summary>
    /// A fused graph has one Attention and (erf GELU) one BiasGelu per layer, and none of the standard attention's Softmax
    /// (the heads' own Softmax stays); a standard graph has no com.microsoft node. Bottleneck adapters sit behind the
    /// output projections, so every PEFT method keeps both fused.
    /// </summary>
    internal static void AssertFusedOperators(byte[] model, MLNet.FineTune.Modeling.TransformerConfig config, bool fused)
    {
        var nodes = MLNet.FineTune.Modeling.Onnx.OnnxReader.Read(model, "exported.onnx").Graph.Nodes;
        int Count(string op, string domain = "com.microsoft") => nodes.Count(n => n.OpType == op && n.Domain == domain);
        if (!fused)
        {
            Assert.AreEqual(0, nodes.Count(n => n.Domain.Length > 0), "a standard export uses the default ONNX domain only");
            return;
        }
        int layers = config.NumLayers;
        Assert.AreEqual((layers, config.HiddenAct == "gelu" ? layers : 0, 0),
            (Count("Attention"), Count("BiasGelu"), nodes.Count(n => n.OpType == "Softmax" && n.Name.Contains("/attention/"))),
            "fused export: (Attention, BiasGelu, standard attention Softmax) nodes");
    }

    [TestMethod]
    [DataRow("bert", PeftMethod.Lora)]
    [DataRow("roberta", PeftMethod.Full)]
    [DataRow("distilbert", PeftMethod.Houlsby)]
    public void BinaryClassifierGivesMlNetBinaryColumns(string modelType, PeftMethod method)
    {
        using var network = ExportTestNetworks.Build(modelType, method, ExportTestNetworks.Binary());
        using var session = new InferenceSession(OnnxExport.Build(network, "", []).ToArray());
        CollectionAssert.AreEquivalent(new[] { "Logits", "Score", "Probability", "PredictedLabel" }, session.OutputMetadata.Keys.ToArray());
        foreach (var batch in ExportTestNetworks.Batches(network.Encoder.Config))
        {
            var logits = ExportTestNetworks.TorchLogits(network, batch)[0];
            var decoded = network.Tasks[0].Decode(logits, [], []);
            var ort = ExportTestNetworks.OnnxRuntime(session, batch);
            Compare("Score", (float[])decoded[0], (float[])ort["Score"]);
            Compare("Probability", (float[])decoded[1], (float[])ort["Probability"]);
            CollectionAssert.AreEqual((bool[])decoded[2], (bool[])ort["PredictedLabel"]);
        }
    }

    [TestMethod]
    public void ExportLeavesTheLiveLoraModelUnchanged()
    {
        using var network = ExportTestNetworks.Build("bert", PeftMethod.Lora, ExportTestNetworks.Binary());
        var batch = ExportTestNetworks.Batches(network.Encoder.Config).First();
        var before = ExportTestNetworks.Floats(ExportTestNetworks.TorchLogits(network, batch)[0]);
        var weights = network.named_parameters().ToDictionary(p => p.name, p => ExportTestNetworks.Floats(p.parameter));
        OnnxExport.Build(network, "", []);
        foreach (var (name, p) in network.named_parameters())
            CollectionAssert.AreEqual(weights[name], ExportTestNetworks.Floats(p), name);
        Assert.IsTrue(network.Peft!.Lora!.Layers.Values.All(l => l.MergedAdapters.Count == 0), "no adapter was merged into the live model");
        CollectionAssert.AreEqual(before, ExportTestNetworks.Floats(ExportTestNetworks.TorchLogits(network, batch)[0]));
    }

    [TestMethod]
    public void PerTaskAdaptersAreRefusedNamingTheOption()
    {
        var heads = new[] { ExportTestNetworks.Binary(), ExportTestNetworks.Regression() };
        var options = ExportTestNetworks.Peft(PeftMethod.Lora) with { AdapterPerTask = true };
        var config = TinyModels.Bert();
        var peft = new PeftModel(options, config.ModelType, heads.Select(h => h.Name).ToList());
        using var network = new TaskNetwork(MLNet.FineTune.Modeling.EncoderFactory.Create(config, peft.Projection), heads, heads.Select(h => h.CreateModule(config)).ToList(), peft);
        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxExport.Build(network, "", []));
        StringAssert.Contains(e.Message, "AdapterPerTask");
    }

    /// <summary>The values of the tokens whose attention mask is 1, <paramref name="perToken"/> values each.</summary>
    static float[] RealTokens(float[] values, long[] mask, int perToken) =>
        mask.SelectMany((m, token) => m == 0 ? [] : values.Skip(token * perToken).Take(perToken)).ToArray();

    static double Compare(string what, float[] expected, float[] actual)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: element count");
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.IsTrue(worst < Tolerance, $"{what}: max |TorchSharp − ONNX Runtime| = {worst:E2}");
        return worst;
    }
}
