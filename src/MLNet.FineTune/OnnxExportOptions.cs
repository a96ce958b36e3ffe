namespace MLNet.FineTune;

/// <summary>How <c>ExportOnnx</c> stores the weights.</summary>
public enum OnnxQuantization
{
    /// <summary>float32 weights: the exported model scores as the TorchSharp one does (within 1e-5).</summary>
    None,

    /// <summary>
    /// Dynamic int8, as ONNX Runtime's <c>quantize_dynamic</c> writes it: MatMul weights as uint8 per output column,
    /// activations quantized per call (<c>DynamicQuantizeLinear</c> → <c>MatMulInteger</c>), the word-embedding table as
    /// int8 per row; the FFN output projections and the head stay float32, where int8 cost the most accuracy. About
    /// 2.6× smaller than float32 for MiniLM and faster on CPUs; scores move slightly (docs/onnx-int8.md gives the
    /// measured accuracy change: −0.23 SST-2 points).
    /// </summary>
    DynamicInt8,
}

/// <summary>Options of <c>ExportOnnx</c>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Weight storage. Default <see cref="OnnxQuantization.None"/> (float32).</summary>
    public OnnxQuantization Quantization { get; init; } = OnnxQuantization.None;

    /// <summary>Validates the arguments of an <c>ExportOnnx</c> call; returns whether to quantize.</summary>
    internal static bool Check(string path, OnnxExportOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(options.Quantization))
            throw new ArgumentOutOfRangeException(nameof(options), options.Quantization,
                $"OnnxExportOptions.Quantization {options.Quantization} is not one of {string.Join(", ", Enum.GetNames<OnnxQuantization>())}.");
        return options.Quantization == OnnxQuantization.DynamicInt8;
    }
}
