namespace MLNet.FineTune.Export;

/// <summary>
/// The encoder parts written as ONNX Runtime's fused contrib operators (domain com.microsoft, all implemented by its CPU
/// and CUDA providers; docs/design/onnx-export.md): <c>Attention</c> (one GEMM on the packed [H, 3H] Q/K/V weight,
/// the raw (B, T) int32 mask, softmax(QKᵀ/√d)·V and the head merge in one kernel), <c>SkipLayerNormalization</c>
/// (LayerNorm(x + residual + bias)) and <c>BiasGelu</c> (exact erf GELU of x + bias). ONNX Runtime's own session
/// optimizer does not recognise our standard attention pattern, so these are written directly. Masked positions get
/// Attention's mask_filter_value (−10000) instead of float.MinValue: both underflow to exactly 0 after the softmax.
/// </summary>
internal static class OrtFusedOps
{
    /// <summary>Q, K and V can be one packed GEMM: plain projections (no bottleneck adapter behind them) of one shape.</summary>
    public static bool CanPackQkv(ExportLinear q, ExportLinear k, ExportLinear v) =>
        q.Adapter is null && k.Adapter is null && v.Adapter is null && q.In == k.In && k.In == v.In && q.Out == k.Out;

    /// <summary>BiasGelu is torch's exact GELU; an adapter behind the projection sits between bias and activation.</summary>
    public static bool CanBiasGelu(ExportLinear l, string activation) => l.Adapter is null && activation == "gelu";

    /// <summary>(B, T, H) context of multi-head self-attention, before the output projection.</summary>
    public static string Attention(OnnxGraphBuilder g, string x, ExportLinear q, ExportLinear k, ExportLinear v, string maskIndex, long heads, string n)
    {
        long rows = q.In, width = q.Out + k.Out + v.Out;
        var packed = new float[rows * width];
        for (long r = 0; r < rows; r++)
        {
            long at = r * width;
            foreach (var l in new[] { q, k, v })
            {
                Array.Copy(l.WeightInOut, r * l.Out, packed, at, l.Out);
                at += l.Out;
            }
        }
        string name = q.Name[..q.Name.LastIndexOf('.')] + ".qkv";
        var weight = g.Initializer(OnnxTensorData.Floats(name + ".weight", packed, [rows, width]));
        var bias = g.Initializer(OnnxTensorData.Floats(name + ".bias", [.. q.Bias, .. k.Bias, .. v.Bias], [width]));
        return g.AddMicrosoft("Attention", [x, weight, bias, maskIndex], n + "/Attention", ("num_heads", heads));
    }

    /// <summary>
    /// LayerNorm(x·W + b + residual): the MatMul, then SkipLayerNormalization with the bias as its bias input; with a
    /// bottleneck adapter behind the projection the adapter is written in standard ops and only the residual add and
    /// LayerNorm are fused.
    /// </summary>
    public static string SkipLayerNorm(OnnxGraphBuilder g, string x, ExportLinear l, string residual, string gamma, string beta, float epsilon, string linearName, string normName)
    {
        if (l.Adapter is not null)
            return g.AddMicrosoft("SkipLayerNormalization", [EncoderGraph.Linear(g, x, l, linearName), residual, gamma, beta], normName, ("epsilon", epsilon));
        var product = g.Add("MatMul", [x, EncoderGraph.Weight(g, l)], linearName + "/MatMul");
        return g.AddMicrosoft("SkipLayerNormalization", [product, residual, gamma, beta, EncoderGraph.Bias(g, l)], normName, ("epsilon", epsilon));
    }

    /// <summary>gelu(x·W + b) as MatMul → BiasGelu.</summary>
    public static string BiasGelu(OnnxGraphBuilder g, string x, ExportLinear l, string n) =>
        g.AddMicrosoft("BiasGelu", [g.Add("MatMul", [x, EncoderGraph.Weight(g, l)], n + "/MatMul"), EncoderGraph.Bias(g, l)], n + "/BiasGelu");
}
