using MLNet.FineTune.Onnx;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// GPU scoring is opt-in: the tests reference the CPU ONNX Runtime package, so asking for CUDA must fail clearly,
/// naming the package that has the CUDA provider. (On a GPU machine with that package the same call succeeds; not
/// checked here, no GPU is lent to this test suite.)
/// </summary>
[TestClass]
public class OnnxGpuTests
{
    [TestMethod]
    public void CudaOnTheCpuPackageNamesTheGpuPackage()
    {
        var e = Assert.ThrowsExactly<NotSupportedException>(() => OnnxGpu.CudaSessionOptions().Dispose());
        StringAssert.Contains(e.Message, "Microsoft.ML.OnnxRuntime.Gpu.Linux");
        StringAssert.Contains(e.Message, "CUDA");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OnnxGpu.CudaSessionOptions(-1));
    }
}
