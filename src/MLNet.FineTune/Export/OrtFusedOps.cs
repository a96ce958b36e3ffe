namespace MLNet.FineTune.Export;

/// <summary>
/// The encoder parts written as ONNX Runtime's fused contrib operators (domain com.microsoft, both implemented by its
/// CPU and CUDA providers; docs/design/onnx-export.md): <c>Attention</c> (the packed [H, 3H] Q/K/V projection, the raw
/// (B, T) int32 mask, softmax(QKᵀ/√d)·V and the head merge in one kernel) and <c>BiasGelu</c> (exact erf GELU of
/// x + bias). ONNX Runtime's session optimizer does not recognise our standard attention pattern (it does fuse bias +
/// GELU itself), so Attention is written directly. Masked positions get Attention's mask_filter_value (−10000) instead
/// of float.MinValue: both underflow to exactly 0 after the softmax. SkipLayerNormalization was tried and dropped: slower
/// on CPU than the standard Add + LayerNormalization (docs/benchmarks.md).
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
        var (weight, bias) = PackQkv(g, q, k, v);
        return g.AddMicrosoft("Attention", [x, weight, bias, maskIndex], n + "/Attention", ("num_heads", heads));
    }

    /// <summary>Q, K and V weights side by side in one [in, q + k + v] initializer (columns q, then k, then v), biases likewise.</summary>
    static (string Weight, string Bias) PackQkv(OnnxGraphBuilder g, ExportLinear q, ExportLinear k, ExportLinear v)
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
        return (g.Initializer(OnnxTensorData.Floats(name + ".weight", packed, [rows, width])),
            g.Initializer(OnnxTensorData.Floats(name + ".bias", [.. q.Bias, .. k.Bias, .. v.Bias], [width])));
    }

    /// <summary>gelu(x·W + b) as MatMul → BiasGelu.</summary>
    public static string BiasGelu(OnnxGraphBuilder g, string x, ExportLinear l, string n) =>
        g.AddMicrosoft("BiasGelu", [g.Add("MatMul", [x, EncoderGraph.Weight(g, l)], n + "/MatMul"), EncoderGraph.Bias(g, l)], n + "/BiasGelu");
}
