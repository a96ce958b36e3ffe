using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Onnx;

namespace MLNet.FineTune.Tests.Modeling.Onnx;

/// <summary>
/// Every graph the import cannot convert exactly is refused with a message naming what was found — never loaded
/// approximately. Each case is the real MiniLM graph with one deliberate change.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class OnnxRefusalTests
{
    static OnnxModel MiniLm => PretrainedOnnx.MiniLm.Value.Model;

    static string Refused(OnnxModel model) =>
        Assert.ThrowsExactly<CheckpointException>(() => OnnxEncoderImporter.Import(model, "edited.onnx")).Message;

    [TestMethod]
    public void QuantizedNodesAndWeightsAreRefusedByName()
    {
        var node = MiniLm.EditNodes(n => n.Name == "MatMul_34" ? n with { OpType = "MatMulInteger" } : n);
        StringAssert.Contains(Refused(node), "edited.onnx: a quantized graph (MatMulInteger×1; first: MatMulInteger 'MatMul_34'). The ONNX import reads fp32 graphs only");
        var dynamic = MiniLm.AddNodes(OnnxEdits.Node("DynamicQuantizeLinear", "quantize_input", ["146"], ["q", "scale", "zero"]));
        StringAssert.Contains(Refused(dynamic), "DynamicQuantizeLinear×1; first: DynamicQuantizeLinear 'quantize_input'");
        var int8 = MiniLm.EditInitializers(t => t.Name == "927" ? t with { DataType = OnnxDataType.Int8 } : t);
        StringAssert.Contains(Refused(int8), "initializer '927' is Int8 [384,384]: 8-bit integer weights: a quantized graph.");
        var half = MiniLm.EditInitializers(t => t.Name == "938" ? t with { DataType = OnnxDataType.Float16 } : t);
        StringAssert.Contains(Refused(half), "initializer '938' is Float16 [384,1536]: half-precision weights");
    }

    [TestMethod]
    public void FusedOperatorsAndOtherOpsetsAreRefused()
    {
        var fused = MiniLm.AddNodes(new OnnxNode("SkipLayerNorm_0", "SkipLayerNormalization", "com.microsoft", ["146", "238"], ["fused"], new Dictionary<string, OnnxAttribute>()));
        StringAssert.Contains(Refused(fused), "operators outside the standard ONNX domain (com.microsoft.SkipLayerNormalization×1; first: SkipLayerNormalization 'SkipLayerNorm_0')");
        var opset18 = MiniLm with { Opsets = new Dictionary<string, long> { [""] = 18 } };
        StringAssert.Contains(Refused(opset18), "ONNX opset 18 (exported by pytorch 1.10); the import supports opsets 11–17");
    }

    [TestMethod]
    public void OtherActivationsAreRefusedByName()
    {
        var tanh = MiniLm.EditNodes(n => n.Name == "Erf_116" ? n with { OpType = "Tanh" } : n);
        StringAssert.Contains(Refused(tanh), "layer 0 uses the tanh approximation of GELU (gelu_new / gelu_pytorch_tanh: Div 'Div_115', Mul 'Mul_119', Tanh 'Erf_116'");
        var sigmoid = MiniLm.EditNodes(n => n.Name == "Erf_116" ? n with { OpType = "Sigmoid" } : n);
        StringAssert.Contains(Refused(sigmoid), "not a BERT encoder graph the ONNX import understands: layer 0: unknown activation between the intermediate and output projections");
    }

    [TestMethod]
    public void AttentionScaledOtherwiseThanBertIsRefused()
    {
        var scaled = MiniLm.EditNodes(n => n.Name == "Constant_80"
            ? n with { Attributes = new Dictionary<string, OnnxAttribute> { ["value"] = new("value", 4, 0, 0, [], [], OnnxEdits.Floats("", [], [8f])) } } : n);
        StringAssert.Contains(Refused(scaled), "layer 0: attention scores are scaled by 0.125, not 1/√head_dim = 0.176777");
    }

    [TestMethod]
    public void FloatInitializersOutsideTheEncoderAreListed()
    {
        var head = MiniLm.EditInitializers(t => t, OnnxEdits.Floats("classifier.weight", [2, 384], new float[768]), OnnxEdits.Floats("classifier.bias", [2], new float[2]));
        StringAssert.Contains(Refused(head), "edited.onnx: 2 float initializer(s) belong to no part of the BERT encoder the import recognised: 'classifier.weight' [2,384], 'classifier.bias' [2]");
    }

    [TestMethod]
    public void DistilBertAndRobertaStyleEmbeddingsAreRefusedByName()
    {
        // Drop the token-type lookup: word + position only, as DistilBERT.
        var distil = MiniLm
            .EditNodes(n => n.Name is "Gather_19" or "Add_20" ? null : n.Name == "Add_22" ? n with { Inputs = ["131", "134"] } : n)
            .EditInitializers(t => t.Name == "embeddings.token_type_embeddings.weight" ? null : t);
        StringAssert.Contains(Refused(distil), "the embeddings sum word and position lookups without token-type embeddings: a DistilBERT-style graph");
        // Position ids from a cumulative sum, as RoBERTa's create_position_ids_from_input_ids.
        var roberta = MiniLm
            .EditNodes(n => n.Name == "Gather_21" ? n with { Inputs = [n.Inputs[0], "130_cumsum"] } : n)
            .AddNodes(OnnxEdits.Node("CumSum", "CumSum_positions", ["130", "cumsum_axis"], ["130_cumsum"]))
            .EditInitializers(t => t, new OnnxTensor("cumsum_axis", [], OnnxDataType.Int64, null, [], [1], []));
        StringAssert.Contains(Refused(roberta), "Gather 'Gather_21' computes position ids with CumSum over the input ids: a RoBERTa-style graph");
    }

    [TestMethod]
    public void TruncatedFilesAreRefused()
    {
        var bytes = PretrainedOnnx.MiniLm.Value.OnnxBytes;
        foreach (int length in new[] { bytes.Length / 2, 1000, bytes.Length - 1 })
        {
            var e = Assert.ThrowsExactly<CheckpointException>(() => OnnxReader.Read(bytes[..length], "cut.onnx"));
            StringAssert.Contains(e.Message, "cut.onnx: not a readable ONNX model: the protobuf data is truncated or corrupt");
        }
    }
}
