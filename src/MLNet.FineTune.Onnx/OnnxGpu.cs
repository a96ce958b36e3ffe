using Microsoft.ML.OnnxRuntime;

namespace MLNet.FineTune.Onnx;

/// <summary>
/// Opt-in GPU scoring through ONNX Runtime's CUDA execution provider. The default package (Microsoft.ML.OnnxRuntime)
/// runs on CPUs only; for CUDA, reference <see cref="GpuPackage"/> (CUDA 12, cuDNN 9 on Linux) instead, then pass
/// <c>OnnxGpu.CudaSessionOptions()</c> to <c>LoadFineTuneOnnx</c> or <c>OnnxThreadSafePredictor.Load</c>.
/// </summary>
public static class OnnxGpu
{
    /// <summary>The NuGet package whose ONNX Runtime has the CUDA execution provider (Linux x64).</summary>
    public const string GpuPackage = "Microsoft.ML.OnnxRuntime.Gpu.Linux";

    /// <summary>
    /// Session options that run the model on CUDA device <paramref name="deviceId"/> (ONNX Runtime places any operator
    /// CUDA lacks on the CPU). The caller owns the options (dispose them after the model).
    /// </summary>
    /// <exception cref="NotSupportedException">The ONNX Runtime in this app has no CUDA provider (the CPU package is referenced), or CUDA could not be loaded; the message names the package to add.</exception>
    public static SessionOptions CudaSessionOptions(int deviceId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        var options = new SessionOptions();
        try
        {
            options.AppendExecutionProvider_CUDA(deviceId);
            return options;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            options.Dispose();
            throw new NotSupportedException(
                $"ONNX Runtime's CUDA execution provider is not available here ({e.Message.Trim()}). For GPU scoring reference the {GpuPackage} package " +
                "(same version as Microsoft.ML.OnnxRuntime; it needs CUDA 12 and cuDNN 9) in place of Microsoft.ML.OnnxRuntime, or leave the session options " +
                "null to score on the CPU.", e);
        }
    }
}
