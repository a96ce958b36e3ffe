using Microsoft.ML.OnnxRuntime;

namespace MLNet.FineTune.Onnx;

/// <summary>
/// Opt-in GPU scoring through ONNX Runtime's CUDA execution provider. This package references the CPU build of ONNX
/// Runtime (Microsoft.ML.OnnxRuntime). For CUDA, the app references <see cref="GpuPackage"/> and keeps the CPU package's
/// native library out (<see cref="AppProjectLines"/>: without the exclusion the CPU <c>libonnxruntime.so</c> lands in
/// bin/ and has no CUDA provider), on a machine with CUDA 13 and cuDNN 9 (what the 1.31.0 package's provider links:
/// <c>libcublas.so.13</c>, <c>libcudart.so.13</c>). Then pass <c>OnnxGpu.CudaSessionOptions()</c> to
/// <c>LoadFineTuneOnnx</c> or <c>OnnxThreadSafePredictor.Load</c>.
/// </summary>
public static class OnnxGpu
{
    /// <summary>The NuGet package whose ONNX Runtime has the CUDA execution provider (Linux x64).</summary>
    public const string GpuPackage = "Microsoft.ML.OnnxRuntime.Gpu.Linux";

    /// <summary>What an app's project adds for GPU scoring: the CUDA build, and the CPU build's native library left out.</summary>
    public static string AppProjectLines =>
        "<PackageReference Include=\"Microsoft.ML.OnnxRuntime.Gpu.Linux\" Version=\"1.31.0\" />\n" +
        "<PackageReference Include=\"Microsoft.ML.OnnxRuntime\" Version=\"1.31.1\" ExcludeAssets=\"native;build;buildTransitive\" />";

    /// <summary>
    /// Session options that run the model on CUDA device <paramref name="deviceId"/> (ONNX Runtime places any operator
    /// CUDA lacks on the CPU). The caller owns the options (dispose them after the model).
    /// </summary>
    /// <exception cref="NotSupportedException">The app loads the CPU build of ONNX Runtime, or the CUDA build could not load its CUDA libraries; the message says which and what to change.</exception>
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
            // The CPU build has no OrtSessionOptionsAppendExecutionProvider_CUDA at all; the CUDA build has it and fails
            // (OnnxRuntimeException) when its provider library cannot load its CUDA dependencies.
            throw new NotSupportedException(Explain(cpuBuild: e is EntryPointNotFoundException or DllNotFoundException, e.Message.Trim()), e);
        }
    }

    /// <summary>Why CUDA could not be appended (<paramref name="cause"/>: ONNX Runtime's message) and what to change.</summary>
    internal static string Explain(bool cpuBuild, string cause)
    {
        const string tail = " Or leave the session options null to score on the CPU.";
        if (cpuBuild)
            return $"ONNX Runtime's CUDA execution provider is not available: this app loads the CPU build of ONNX Runtime ({cause}). " +
                   $"For GPU scoring add to the app's project:\n{AppProjectLines}\n(the second line keeps the CPU build's libonnxruntime.so out of bin/; " +
                   "without it the CPU build wins and has no CUDA provider). It needs CUDA 13 and cuDNN 9 on the machine." + tail;
        return $"ONNX Runtime's CUDA execution provider could not be loaded ({cause}). The app has the CUDA build of ONNX Runtime ({GpuPackage}), " +
               "but its provider library could not load CUDA: it needs CUDA 13 (libcublas.so.13, libcublasLt.so.13, libcudart.so.13, libcurand.so.10), " +
               "cuDNN 9 and an NVIDIA driver on the library path; ONNX Runtime's log line above names the library it did not find." + tail;
    }
}
