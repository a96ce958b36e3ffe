using MLNet.FineTune.Modeling.Checkpoints;

namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>
/// Refusals that do not need the structure: quantized graphs, graphs fused by onnxruntime's optimizer, non-fp32
/// weights and opsets outside 11–17. Each message names what was found, so the user knows which export to make instead.
/// </summary>
internal static class OnnxGraphChecks
{
    public const int MinOpset = 11, MaxOpset = 17;

    static readonly HashSet<string> QuantizedOps =
    [
        "MatMulInteger", "ConvInteger", "DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeMatMul",
        "MatMulIntegerToFloat", "MatMulNBits", "QAttention", "QGemm", "QEmbedLayerNormalization", "DynamicQuantizeLSTM",
    ];

    public static void Check(OnnxModel model, string source)
    {
        var nodes = model.Graph.Nodes;
        var quantized = nodes.Where(n => QuantizedOps.Contains(n.OpType) || n.OpType.StartsWith("QLinear", StringComparison.Ordinal)
            || n.OpType.StartsWith("QOrdered", StringComparison.Ordinal)).ToList();
        if (quantized.Count > 0)
            throw new CheckpointException($"{source}: a quantized graph ({Few(quantized)}). The ONNX import reads fp32 graphs only: " +
                "import the model exported before quantization, or its safetensors checkpoint.");

        var foreign = nodes.Where(n => n.Domain is not ("" or "ai.onnx")).ToList();
        if (foreign.Count > 0)
            throw new CheckpointException($"{source}: operators outside the standard ONNX domain ({Few(foreign, withDomain: true)}): " +
                "a graph fused by onnxruntime's transformer optimizer or a custom export. Import the plain torch.onnx / optimum export instead.");

        foreach (var t in model.Graph.Initializers)
        {
            string? why = t.DataType switch
            {
                OnnxDataType.Float or OnnxDataType.Int64 or OnnxDataType.Int32 or OnnxDataType.Bool => null,
                OnnxDataType.Int8 or OnnxDataType.UInt8 => "8-bit integer weights: a quantized graph",
                OnnxDataType.Float16 or OnnxDataType.BFloat16 => "half-precision weights; the ONNX import reads fp32 graphs (export with dtype float32)",
                _ => "an element type the ONNX import does not read",
            };
            if (why is not null) throw new CheckpointException($"{source}: initializer '{t.Name}' is {t.DataType} {t.ShapeText}: {why}.");
        }

        long opset = model.DefaultOpset;
        if (opset is < MinOpset or > MaxOpset)
            throw new CheckpointException($"{source}: ONNX opset {opset} (exported by {(model.Producer.Length > 0 ? model.Producer : "an unknown producer")}); " +
                $"the import supports opsets {MinOpset}–{MaxOpset}. Re-export with torch.onnx.export(..., opset_version={MaxOpset}).");
    }

    static string Few(IReadOnlyList<OnnxNode> nodes, bool withDomain = false)
    {
        var kinds = string.Join(", ", nodes.GroupBy(n => withDomain ? $"{n.Domain}.{n.OpType}" : n.OpType).Select(k => $"{k.Key}×{k.Count()}"));
        return $"{kinds}; first: {nodes[0].Describe()}";
    }
}
