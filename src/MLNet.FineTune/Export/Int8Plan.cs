using System.Text.RegularExpressions;

namespace MLNet.FineTune.Export;

/// <summary>
/// Which weight MatMuls dynamic int8 quantization leaves in float32. Quantizing everything cost 0.92 SST-2 dev accuracy
/// points on the MiniLM sentiment model; the projections kept here are the ones whose error reaches the output least
/// diluted: the head (pooler + classifier: its outputs are the logits themselves), the FFN output projections (their
/// inputs are GELU outputs with long tails, which one per-tensor activation scale resolves coarsely) and the last
/// encoder layer(s) (nothing after them averages the error out). docs/onnx-int8.md has the measured variants and why
/// <see cref="Default"/> is the one chosen.
/// </summary>
/// <param name="Head">Keep the head's projections (classifier, pre_classifier, out_proj) and BERT's pooler in float.</param>
/// <param name="FfnOutput">Keep every layer's FFN output projection (<c>output.dense</c>, DistilBERT <c>ffn.lin2</c>) in float.</param>
/// <param name="LastLayers">Keep every projection of the last N encoder layers in float.</param>
internal sealed partial record Int8Plan(bool Head, bool FfnOutput, int LastLayers)
{
    /// <summary>Every weight MatMul quantized (what ONNX Runtime's <c>quantize_dynamic</c> does).</summary>
    public static Int8Plan All { get; } = new(false, false, 0);

    /// <summary>The plan <c>OnnxQuantization.DynamicInt8</c> uses (chosen by the measurements in docs/onnx-int8.md).</summary>
    public static Int8Plan Default { get; } = new(true, true, 0);

    /// <summary>Short name for metadata and reports: <c>all</c> or the parts kept float joined by '+'.</summary>
    public string Name => this == All ? "all" : string.Join("+", new[] { Head ? "head" : null, FfnOutput ? "ffn-output" : null, LastLayers > 0 ? $"last-{LastLayers}" : null }.OfType<string>());

    /// <summary>Whether the MatMul weight <paramref name="weight"/> (initializer name) stays float, given the encoder's layer count.</summary>
    public bool KeepsFloat(string weight, int layers)
    {
        var layer = LayerIndex().Match(weight);
        if (!layer.Success) return Head && !weight.Contains("embeddings", StringComparison.Ordinal);
        if (LastLayers > 0 && int.Parse(layer.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture) >= layers - LastLayers) return true;
        return FfnOutput && (weight.EndsWith(".ffn.lin2.weight", StringComparison.Ordinal)
            || weight.EndsWith(".output.dense.weight", StringComparison.Ordinal) && !weight.EndsWith(".attention.output.dense.weight", StringComparison.Ordinal));
    }

    /// <summary>Number of encoder layers named in these weight names (BERT/RoBERTa <c>layer.N.</c>, DistilBERT <c>transformer.layer.N.</c>).</summary>
    public static int CountLayers(IEnumerable<string> weights) =>
        weights.Select(w => LayerIndex().Match(w)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture) + 1).DefaultIfEmpty(0).Max();

    [GeneratedRegex(@"(?:^|\.)layer\.(\d+)\.")]
    private static partial Regex LayerIndex();
}
