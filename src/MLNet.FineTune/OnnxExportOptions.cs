namespace MLNet.FineTune;

/// <summary>How <c>ExportOnnx</c> stores the weights.</summary>
public enum OnnxQuantization
{
    /// <summary>float32 weights: the exported model scores as the TorchSharp one does (within 1e-5).</summary>
    None,

    /// <summary>
    /// Dynamic int8, as ONNX Runtime's <c>quantize_dynamic</c> writes it: MatMul weights as uint8 per output column,
    /// activations quantized per call (<c>DynamicQuantizeLinear</c> → <c>MatMulInteger</c>), the word-embedding table as
    /// int8 per row. About 4× smaller and faster on CPUs; scores move slightly (docs/design/onnx-export.md gives the
    /// measured accuracy change).
    /// </summary>
    DynamicInt8,
}

/// <summary>Options of <c>ExportOnnx</c>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Weight storage. Default <see cref="OnnxQuantization.None"/> (float32).</summary>
    public OnnxQuantization Quantization { get; init; } = OnnxQuantization.None;
}
