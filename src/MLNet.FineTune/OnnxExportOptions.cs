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

/// <summary>Which operators <c>ExportOnnx</c> writes the encoder with.</summary>
public enum OnnxOperators
{
    /// <summary>
    /// Standard ONNX (opset 17) only: runs in any ONNX runtime, and MLNet.FineTune's ONNX importer reads an exported
    /// BERT encoder back.
    /// </summary>
    Standard,

    /// <summary>
    /// ONNX Runtime's fused transformer operators (domain <c>com.microsoft</c>: <c>Attention</c> with one packed Q/K/V
    /// projection, <c>BiasGelu</c>) wherever they express the encoder exactly, standard operators elsewhere (Q/K/V with
    /// bottleneck adapters, activations other than erf GELU). Same scores within 1e-5; the file runs only in ONNX
    /// Runtime (MLNet.FineTune.Onnx, ML.NET's <c>ApplyOnnxModel</c>) and is not read back by the importer. Measured on
    /// CPU it is no faster than the standard form (ONNX Runtime already optimizes that well; docs/benchmarks.md, "ONNX
    /// scoring vs TorchSharp"), so it is not the default; it is meant for trying ONNX Runtime's fused kernels elsewhere
    /// (GPU, other CPUs).
    /// </summary>
    OnnxRuntimeFused,
}

/// <summary>Options of <c>ExportOnnx</c>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Weight storage. Default <see cref="OnnxQuantization.None"/> (float32).</summary>
    public OnnxQuantization Quantization { get; init; } = OnnxQuantization.None;

    /// <summary>
    /// Operator set. Default <see cref="OnnxOperators.Standard"/> (portable ONNX that imports back). With
    /// <see cref="OnnxQuantization.DynamicInt8"/>, the fused Attention keeps its packed Q/K/V weight in float32 and only
    /// the projections left as MatMul are quantized.
    /// </summary>
    public OnnxOperators Operators { get; init; } = OnnxOperators.Standard;

    /// <summary>Validates the arguments of an <c>ExportOnnx</c> call; returns whether to quantize and whether to fuse.</summary>
    internal static (bool Quantize, bool Fused) Check(string path, OnnxExportOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(options.Quantization))
            throw new ArgumentOutOfRangeException(nameof(options), options.Quantization,
                $"OnnxExportOptions.Quantization {options.Quantization} is not one of {string.Join(", ", Enum.GetNames<OnnxQuantization>())}.");
        if (!Enum.IsDefined(options.Operators))
            throw new ArgumentOutOfRangeException(nameof(options), options.Operators,
                $"OnnxExportOptions.Operators {options.Operators} is not one of {string.Join(", ", Enum.GetNames<OnnxOperators>())}.");
        return (options.Quantization == OnnxQuantization.DynamicInt8, options.Operators == OnnxOperators.OnnxRuntimeFused);
    }
}
