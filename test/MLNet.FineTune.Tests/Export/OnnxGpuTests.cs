using Microsoft.ML.OnnxRuntime;
using MLNet.FineTune.Onnx;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// GPU scoring is opt-in: the tests reference the CPU ONNX Runtime package, so asking for CUDA must fail clearly, saying
/// that the CPU build is loaded and which project lines bring the CUDA build. The other failure, the CUDA build without
/// CUDA's libraries, is checked on its message (an app with the CUDA package fails that way on a machine without CUDA:
/// docs/design/onnx-export.md). On a GPU machine the call succeeds; not checked here, no GPU is lent to this suite.
/// </summary>
[TestClass]
public class OnnxGpuTests
{
    [TestMethod]
    public void CudaOnTheCpuBuildSaysSoAndGivesTheProjectLines()
    {
        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxGpu.CudaSessionOptions().Dispose());
        StringAssert.Contains(e.Message, "CPU build of ONNX Runtime");
        StringAssert.Contains(e.Message, "Microsoft.ML.OnnxRuntime.Gpu.Linux");
        StringAssert.Contains(e.Message, "ExcludeAssets=\"native;build;buildTransitive\"");
        StringAssert.Contains(e.Message, "CUDA 13");
        Assert.IsInstanceOfType<EntryPointNotFoundException>(e.InnerException);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OnnxGpu.CudaSessionOptions(-1));
    }

    [TestMethod]
    public void TheProjectLinesAreOneCudaPackageAndTheCpuPackageWithoutItsNativeLibrary()
    {
        var lines = OnnxGpu.AppProjectLines.Split('\n');
        Assert.HasCount(2, lines);
        StringAssert.Contains(lines[0], $"Include=\"{OnnxGpu.GpuPackage}\"");
        StringAssert.Contains(lines[1], "Include=\"Microsoft.ML.OnnxRuntime\"");
        // The CPU package's version is the one this library is built against, so the managed API stays the same.
        StringAssert.Contains(lines[1], $"Version=\"{typeof(InferenceSession).Assembly.GetName().Version!.ToString(3)}\"");
    }

    [TestMethod]
    public void ACudaBuildWithoutCudaLibrariesIsToldWhatIsMissing()
    {
        // What ONNX Runtime 1.31's CUDA build said in an app built with OnnxGpu.AppProjectLines on this CPU-only machine.
        // (Explain is internal to MLNet.FineTune.Onnx, which shares linked internal types with MLNet.FineTune, so it has no
        // InternalsVisibleTo for this suite: reached by reflection.)
        var explain = typeof(OnnxGpu).GetMethod("Explain", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        var message = (string)explain.Invoke(null, [false, "[ErrorCode:Fail] OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library"])!;
        StringAssert.Contains(message, "could not be loaded");
        StringAssert.Contains(message, "Failed to load shared library");
        StringAssert.Contains(message, "libcublas.so.13");
        StringAssert.Contains(message, "cuDNN 9");
        Assert.DoesNotContain("CPU build", message);
    }
}
