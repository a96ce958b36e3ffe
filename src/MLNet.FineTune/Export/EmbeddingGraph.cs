namespace MLNet.FineTune.Export;

/// <summary>
/// How an embedding model turns token states into its output vector, as the export writes it (and records in the
/// <c>mlnet.finetune.embedding</c> metadata).
/// </summary>
/// <param name="Pooling">"mean" (over real tokens), "cls" (token 0) or "max" (over real tokens).</param>
/// <param name="Normalize">L2-normalise after truncation.</param>
/// <param name="Dimensions">Matryoshka: the first N dimensions kept (N = hidden size keeps all).</param>
/// <param name="OutputName">The graph output: the ML.NET column name.</param>
internal sealed record EmbeddingGraphSpec(string Pooling, bool Normalize, int Dimensions, string OutputName);

/// <summary>
/// Pooling, Matryoshka truncation and L2 normalisation after the encoder, as <c>Embeddings/TextEmbeddingScorer</c>'s
/// Pool and Finish compute them (sentence-transformers' formulas): mean = Σ(h·mask) / max(Σmask, 1e-9); max sets padded
/// states to −1e9 first; normalise = x / max(‖x‖₂, 1e-12).
/// </summary>
internal static class EmbeddingGraph
{
    public static void Emit(OnnxGraphBuilder g, EncoderValues encoded, string attentionMask, EmbeddingGraphSpec spec, long hiddenSize)
    {
        const string n = "/pooling";
        var hidden = encoded.Hidden;
        string mask = g.Add("Unsqueeze", [g.Add("Cast", [attentionMask], n + "/mask_float", ("to", (long)OnnxElement.Float)), g.Ints(2)], n + "/mask"); // (B, T, 1)
        var pooled = spec.Pooling switch
        {
            "mean" => g.Add("Div", [
                    g.Add("ReduceSum", [g.Add("Mul", [hidden, mask], n + "/masked"), g.Ints(1)], n + "/sum", ("keepdims", 0L)),
                    g.Add("Max", [g.Add("ReduceSum", [mask, g.Ints(1)], n + "/count", ("keepdims", 0L)), g.Scalar(1e-9f)], n + "/count_min")],
                n + "/mean"),
            "cls" => g.Add("Gather", [hidden, g.IntScalar(0)], n + "/first_token", ("axis", 1L)),
            // ReduceMax takes its axes as an attribute up to opset 17.
            "max" => g.Add("ReduceMax", [g.Add("Where", [g.Add("Cast", [mask], n + "/mask_bool", ("to", (long)OnnxElement.Bool)), hidden, g.Scalar(-1e9f)], n + "/padded_low")],
                n + "/max", ("axes", new long[] { 1 }), ("keepdims", 0L)),
            _ => throw new NotSupportedException($"ONNX export: embedding pooling '{spec.Pooling}' has no ONNX form (mean, cls, max)."),
        };
        if (spec.Dimensions < hiddenSize)
            pooled = g.Add("Slice", [pooled, g.Ints(0), g.Ints(spec.Dimensions), g.Ints(1)], n + "/matryoshka");
        if (spec.Normalize)
        {
            var norm = g.Add("ReduceL2", [pooled], n + "/norm", ("axes", new long[] { 1 }), ("keepdims", 1L));
            pooled = g.Add("Div", [pooled, g.Add("Max", [norm, g.Scalar(1e-12f)], n + "/norm_min")], n + "/normalize");
        }
        g.Output(pooled, spec.OutputName, OnnxElement.Float, "batch", spec.Dimensions);
    }
}
