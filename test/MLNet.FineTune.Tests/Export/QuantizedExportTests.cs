using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNet.FineTune.Export;
using MLNet.FineTune.Modeling.Onnx;
using MLNet.FineTune.Onnx;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.FineTune;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// <c>OnnxQuantization.DynamicInt8</c>: ONNX Runtime loads the quantized graph, every weight MatMul became
/// DynamicQuantizeLinear → MatMulInteger (no float MatMul weight is left), the MatMul weights take ~4× fewer bytes, and
/// the outputs stay within a documented distance of the float32 export on tiny random models (probabilities within
/// 0.02; the accuracy change on real tasks is measured in docs/design/onnx-export.md).
/// </summary>
[TestClass]
[DoNotParallelize]
public class QuantizedExportTests
{
    const double ProbabilityTolerance = 0.02;

    [TestMethod]
    [DataRow("bert", PeftMethod.Full)]
    [DataRow("roberta", PeftMethod.Houlsby)]
    [DataRow("distilbert", PeftMethod.Lora)]
    public void QuantizedGraphStaysCloseToFloat(string modelType, PeftMethod method)
    {
        using var network = ExportTestNetworks.Build(modelType, method, ExportTestNetworks.Multiclass(), ExportTestNetworks.Tokens());
        var fp32 = OnnxExport.Build(network, "", []).ToArray();
        var int8 = OnnxExport.Build(network, "", [], quantize: true, Int8Plan.All).ToArray();

        var floatGraph = OnnxReader.Read(fp32, "fp32").Graph;
        var quantGraph = OnnxReader.Read(int8, "int8").Graph;
        var floatWeights = floatGraph.Nodes.Where(n => n.OpType == "MatMul").Select(n => n.Inputs[1]).ToHashSet();
        floatWeights.IntersectWith(floatGraph.Initializers.Select(t => t.Name));
        Assert.AreEqual(floatWeights.Count, quantGraph.Nodes.Count(n => n.OpType == "MatMulInteger"), "every weight MatMul is quantized");
        var quantInitializers = quantGraph.Initializers.Select(t => t.Name).ToHashSet();
        Assert.IsFalse(quantGraph.Nodes.Any(n => n.OpType == "MatMul" && quantInitializers.Contains(n.Inputs[1])), "no float MatMul weight is left");
        long floatBytes = floatGraph.Initializers.Where(t => floatWeights.Contains(t.Name)).Sum(t => t.ElementCount * 4);
        long quantBytes = quantGraph.Initializers.Where(t => floatWeights.Any(w => t.Name.StartsWith(w + "_", StringComparison.Ordinal)))
            .Sum(t => t.ElementCount * (t.DataType == OnnxDataType.Float ? 4 : 1));
        Console.WriteLine($"{modelType} {method}: MatMul weights {floatBytes:N0} → {quantBytes:N0} bytes ({(double)floatBytes / quantBytes:F2}x); file {fp32.Length:N0} → {int8.Length:N0}");
        Assert.IsTrue(floatBytes > 3.3 * quantBytes, $"MatMul weights {floatBytes} → {quantBytes} bytes"); // 4x less the per-column scales and zero points (32-wide tiny layers)

        using var a = new InferenceSession(fp32);
        using var b = new InferenceSession(int8);
        double worst = 0;
        foreach (var batch in ExportTestNetworks.Batches(network.Encoder.Config))
        {
            var (x, y) = (ExportTestNetworks.OnnxRuntime(a, batch), ExportTestNetworks.OnnxRuntime(b, batch));
            foreach (var name in new[] { "topic.Score", "ner.TokenProbabilities" })
                worst = Math.Max(worst, ((float[])x[name]).Zip((float[])y[name], (p, q) => (double)Math.Abs(p - q)).Max());
        }
        Console.WriteLine($"{modelType} {method}: max |fp32 − int8| probability = {worst:E2}");
        Assert.IsTrue(worst > 0, "the quantized graph really computes differently");
        Assert.IsTrue(worst <= ProbabilityTolerance, $"max probability difference {worst:E2}");
    }

    [TestMethod]
    public void QuantizedExportScoresThroughTheOnnxPackage()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(48, seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick).Fit(data);
        var folder = Directory.CreateTempSubdirectory("mlnft-int8-");
        try
        {
            var fp32 = Path.Combine(folder.FullName, "fp32.onnx");
            var int8 = Path.Combine(folder.FullName, "int8.onnx");
            model.ExportOnnx(fp32);
            model.ExportOnnx(int8, new OnnxExportOptions { Quantization = OnnxQuantization.DynamicInt8 });
            using (var session = new InferenceSession(int8))
                StringAssert.StartsWith(session.ModelMetadata.CustomMetadataMap["mlnet.finetune.quantization"], "dynamic-int8");
            using var a = ml.Model.LoadFineTuneOnnx(fp32);
            using var b = ml.Model.LoadFineTuneOnnx(int8);
            var p = a.Transform(data).GetColumn<float>("Probability").ToArray();
            var q = b.Transform(data).GetColumn<float>("Probability").ToArray();
            double worst = p.Zip(q, (x, y) => (double)Math.Abs(x - y)).Max();
            Console.WriteLine($"tiny sentiment: max |fp32 − int8| Probability = {worst:E2}; files {new FileInfo(fp32).Length:N0} → {new FileInfo(int8).Length:N0} bytes");
            Assert.IsTrue(worst <= ProbabilityTolerance, $"max probability difference {worst:E2}");
            Assert.IsTrue(new FileInfo(int8).Length < new FileInfo(fp32).Length, "the int8 file is smaller (here tokenizer files and position tables, kept as they are, weigh much)");
            var bad = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.ExportOnnx(int8, new OnnxExportOptions { Quantization = (OnnxQuantization)7 }));
            StringAssert.Contains(bad.Message, "OnnxExportOptions.Quantization");
        }
        finally { folder.Delete(recursive: true); }
    }

    [TestMethod]
    [DataRow("bert")]
    [DataRow("distilbert")]
    public void DefaultPlanKeepsTheHeadAndFfnOutputsFloat(string modelType)
    {
        using var network = ExportTestNetworks.Build(modelType, PeftMethod.Full, ExportTestNetworks.Multiclass(), ExportTestNetworks.Tokens());
        var bytes = OnnxExport.Build(network, "", [], quantize: true).ToArray();
        var graph = OnnxReader.Read(bytes, "int8").Graph;
        var initializers = graph.Initializers.Select(t => t.Name).ToHashSet();
        var floatWeights = graph.Nodes.Where(n => n.OpType == "MatMul" && initializers.Contains(n.Inputs[1])).Select(n => n.Inputs[1]).ToList();
        var quantized = graph.Nodes.Where(n => n.OpType == "MatMulInteger").Select(n => n.Inputs[1]).ToList();
        Console.WriteLine($"{modelType}: float {string.Join(", ", floatWeights)}");
        string ffnOut = modelType == "distilbert" ? ".ffn.lin2.weight" : ".output.dense.weight";
        int layers = network.Encoder.Config.NumLayers;
        Assert.AreEqual(layers, floatWeights.Count(w => w.EndsWith(ffnOut, StringComparison.Ordinal) && !w.Contains(".attention.", StringComparison.Ordinal)), "every FFN output stays float");
        Assert.IsTrue(floatWeights.Any(w => w.Contains("classifier", StringComparison.Ordinal)), "the head stays float");
        Assert.IsTrue(floatWeights.All(w => !w.Contains("query", StringComparison.Ordinal) && !w.Contains("q_lin", StringComparison.Ordinal)), "attention projections are quantized");
        Assert.AreEqual(4 * layers + layers, quantized.Count, "Q, K, V, attention output and FFN input of every layer are quantized");
        using var session = new InferenceSession(bytes);
        StringAssert.EndsWith(session.ModelMetadata.CustomMetadataMap[OnnxExport.QuantizationKey], "float32 kept: head+ffn-output");
    }

    [TestMethod]
    public void PlanNamesTheWeightsItKeeps()
    {
        var plan = new Int8Plan(Head: false, FfnOutput: false, LastLayers: 1);
        Assert.IsTrue(plan.KeepsFloat("bert.encoder.layer.5.attention.self.query.weight", 6));
        Assert.IsFalse(plan.KeepsFloat("bert.encoder.layer.4.attention.self.query.weight", 6));
        Assert.IsFalse(plan.KeepsFloat("heads.0.classifier.weight", 6), "the head is quantized unless Head is set");
        Assert.IsTrue(Int8Plan.Default.KeepsFloat("distilbert.transformer.layer.0.ffn.lin2.weight", 6));
        Assert.IsFalse(Int8Plan.Default.KeepsFloat("distilbert.transformer.layer.0.ffn.lin1.weight", 6));
        Assert.IsFalse(Int8Plan.Default.KeepsFloat("bert.encoder.layer.0.attention.output.dense.weight", 6));
        Assert.IsTrue(Int8Plan.Default.KeepsFloat("bert.encoder.layer.0.output.dense.weight", 6));
        Assert.IsTrue(Int8Plan.Default.KeepsFloat("bert.pooler.dense.weight", 6));
        Assert.AreEqual(6, Int8Plan.CountLayers(["bert.encoder.layer.5.output.dense.weight", "bert.encoder.layer.0.output.dense.weight", "x.weight"]));
        Assert.AreEqual("all", Int8Plan.All.Name);
        Assert.AreEqual("head+last-1", new Int8Plan(true, false, 1).Name);
    }
}
