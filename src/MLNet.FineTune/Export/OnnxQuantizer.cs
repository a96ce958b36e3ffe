using System.Runtime.InteropServices;

namespace MLNet.FineTune.Export;

/// <summary>
/// Dynamic int8 quantization of an exported graph, written as ONNX Runtime's <c>quantize_dynamic</c> writes it:
/// every <c>MatMul</c> on a weight becomes <c>DynamicQuantizeLinear(x)</c> (uint8 activations, scale and zero point
/// computed per call over the whole input tensor) → <c>MatMulInteger</c> with the weight stored as uint8 → <c>Cast</c>
/// to float → <c>Mul</c> by x_scale·w_scale, before the bias <c>Add</c> that stays float. Weights are quantized per output
/// column (asymmetric: scale = (max − min)/255 over the column with 0 included, zero point so 0 is exact). uint8 weights
/// rather than int8: on x86 CPUs without VNNI, ONNX Runtime's uint8×int8 kernel sums pairs in int16 and can saturate
/// (its documentation's "reduce_range" caveat); uint8×uint8 has no such limit. The word-embedding table becomes int8
/// per row (symmetric), dequantized after the <c>Gather</c> (only the looked-up rows). LayerNorm, softmax, the other
/// embedding tables and the attention products stay float, and so do the MatMuls <see cref="Int8Plan"/> keeps.
/// </summary>
internal static class OnnxQuantizer
{
    public const string Description = "dynamic-int8: MatMul weights uint8 per output column (MatMulInteger, activations by DynamicQuantizeLinear), word embeddings int8 per row";

    /// <summary>The metadata text of a plan: <see cref="Description"/> plus which MatMuls stayed float.</summary>
    public static string Describe(Int8Plan plan) => plan == Int8Plan.All ? Description : $"{Description}; float32 kept: {plan.Name}";

    public static void Apply(OnnxGraphBuilder g, Int8Plan plan)
    {
        var uses = g.Nodes.SelectMany(n => n.Inputs).GroupBy(i => i).ToDictionary(x => x.Key, x => x.Count());
        int layers = Int8Plan.CountLayers(g.Nodes.Where(n => n.OpType == "MatMul").Select(n => n.Inputs[1]));
        var quantizedActivations = new Dictionary<string, string[]>(StringComparer.Ordinal);
        g.Rewrite(node =>
        {
            if (node.OpType == "MatMul" && Weight(g, node.Inputs[1], uses) is { } w && !plan.KeepsFloat(w.Name, layers))
            {
                MatMul(g, node, w, quantizedActivations);
                return true;
            }
            if (node.OpType == "Gather" && node.Inputs[0].EndsWith("word_embeddings.weight", StringComparison.Ordinal) && Weight(g, node.Inputs[0], uses) is { } table)
            {
                Embedding(g, node, table);
                return true;
            }
            return false;
        });
    }

    /// <summary>A 2-D float initializer read by this node only (a shared one stays float).</summary>
    static OnnxTensorData? Weight(OnnxGraphBuilder g, string name, Dictionary<string, int> uses) =>
        g.TryGetInitializer(name, out var t) && t.Element == OnnxElement.Float && t.Dims.Length == 2 && uses[name] == 1 ? t : null;

    static void MatMul(OnnxGraphBuilder g, OnnxExportNode node, OnnxTensorData weight, Dictionary<string, string[]> activations)
    {
        string x = node.Inputs[0], n = node.Name;
        // Q, K and V read the same input: quantize it once.
        if (!activations.TryGetValue(x, out var q))
            activations[x] = q = g.AddMulti("DynamicQuantizeLinear", [x], n + "/quantize_input", 3); // y (uint8), y_scale, y_zero_point
        var (values, scales, zeros) = PerColumnUInt8(MemoryMarshal.Cast<byte, float>(weight.Raw.Span), (int)weight.Dims[0], (int)weight.Dims[1]);
        g.RemoveInitializer(weight.Name);
        var wq = g.Initializer(new OnnxTensorData(weight.Name + "_quantized", OnnxElement.UInt8, weight.Dims, values));
        var wz = g.Initializer(new OnnxTensorData(weight.Name + "_zero_point", OnnxElement.UInt8, [weight.Dims[1]], zeros));
        var ws = g.Initializer(OnnxTensorData.Floats(weight.Name + "_scale", scales, [weight.Dims[1]]));
        var product = g.Add("MatMulInteger", [q[0], wq, q[2], wz], n + "/MatMulInteger");
        var scale = g.Add("Mul", [q[1], ws], n + "/scale");
        g.Add("Mul", [g.Add("Cast", [product], n + "/Cast", ("to", (long)OnnxElement.Float)), scale], n, exactName: true);
    }

    static void Embedding(OnnxGraphBuilder g, OnnxExportNode node, OnnxTensorData table)
    {
        string n = node.Name;
        var (values, scales) = PerRowInt8(MemoryMarshal.Cast<byte, float>(table.Raw.Span), (int)table.Dims[0], (int)table.Dims[1]);
        g.RemoveInitializer(table.Name);
        var tq = g.Initializer(new OnnxTensorData(table.Name + "_quantized", OnnxElement.Int8, table.Dims, values));
        var ts = g.Initializer(OnnxTensorData.Floats(table.Name + "_scale", scales, [table.Dims[0]]));
        var rows = g.Add("Cast", [g.Add("Gather", [tq, node.Inputs[1]], n + "/quantized")], n + "/Cast", ("to", (long)OnnxElement.Float));
        var rowScales = g.Add("Unsqueeze", [g.Add("Gather", [ts, node.Inputs[1]], n + "/row_scale"), g.Ints(-1)], n + "/row_scale_unsqueeze");
        g.Add("Mul", [rows, rowScales], n, exactName: true);
    }

    /// <summary>[in, out] row-major → uint8 values, one scale and zero point per column (0 exactly representable).</summary>
    internal static (byte[] Values, float[] Scales, byte[] Zeros) PerColumnUInt8(ReadOnlySpan<float> w, int rows, int cols)
    {
        var min = new float[cols]; var max = new float[cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                float v = w[r * cols + c];
                if (v < min[c]) min[c] = v;
                if (v > max[c]) max[c] = v;
            }
        var scales = new float[cols]; var zeros = new byte[cols];
        for (int c = 0; c < cols; c++)
        {
            float scale = (max[c] - min[c]) / 255f;
            scales[c] = scale > 0 ? scale : 1f;
            zeros[c] = (byte)Math.Clamp(MathF.Round(-min[c] / scales[c]), 0, 255);
        }
        var values = new byte[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                values[r * cols + c] = (byte)Math.Clamp(MathF.Round(w[r * cols + c] / scales[c]) + zeros[c], 0, 255);
        return (values, scales, zeros);
    }

    /// <summary>[rows, dims] → int8 values in [−127, 127], one symmetric scale per row.</summary>
    internal static (byte[] Values, float[] Scales) PerRowInt8(ReadOnlySpan<float> t, int rows, int dims)
    {
        var values = new byte[rows * dims]; var scales = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            float absMax = 0;
            for (int d = 0; d < dims; d++) absMax = Math.Max(absMax, Math.Abs(t[r * dims + d]));
            float scale = absMax > 0 ? absMax / 127f : 1f;
            scales[r] = scale;
            for (int d = 0; d < dims; d++) values[r * dims + d] = (byte)(sbyte)Math.Clamp(MathF.Round(t[r * dims + d] / scale), -127, 127);
        }
        return (values, scales);
    }
}
