using MLNet.FineTune.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Modeling;

/// <summary>
/// MKL's Intel-only kernel check is answered "yes" on AMD CPUs once libtorch loads: by default where the CPU has AVX2 and
/// no AVX-512, when asked elsewhere on AMD (issue #17), never on other vendors; and the kernels MKL picks compute the products a training step needs correctly.
/// </summary>
[TestClass]
public class MklVendorCheckTests
{
    [TestMethod]
    public void OnAmdTheCheckIsBypassedByDefaultOnlyWithoutAvx512AndOnOtherCpusNothingIsTouched()
    {
        TorchRuntime.EnsureLoaded();
        var vendor = MklVendorCheck.CpuVendor();
        Assert.IsNotNull(vendor, "the test machines are x86-64");
        Assert.AreEqual(12, vendor.Length, vendor);
        var (avx2, avx512F) = CpuFlags();
        var expected = vendor != "AuthenticAMD" ? MklVendorCheckState.NotNeeded
            : MklVendorCheck.Refused ? MklVendorCheckState.Disabled
            : MklVendorCheck.Requested || (avx2 && !avx512F) ? MklVendorCheckState.Bypassed
            : MklVendorCheckState.Disabled; // AVX-512 AMD: opt-in, bit-exact resume comes first
        Assert.AreEqual(expected, MklVendorCheck.State, MklVendorCheck.Detail);

        MklVendorCheck.Apply(); // once per process: a second call changes nothing
        Assert.AreEqual(expected, MklVendorCheck.State, MklVendorCheck.Detail);
    }

    [TestMethod]
    public void CpuidFeaturesAgreeWithTheKernelsFlagsAndTheDefaultFollowsThem()
    {
        if (!File.Exists("/proc/cpuinfo")) Assert.Inconclusive("needs /proc/cpuinfo");
        Assert.AreEqual(CpuFlags(), MklVendorCheck.CpuFeatures());
        Assert.IsTrue(MklVendorCheck.OnByDefault("AuthenticAMD", avx2: true, avx512F: false));   // Zen 2 / Zen 3
        Assert.IsFalse(MklVendorCheck.OnByDefault("AuthenticAMD", avx2: true, avx512F: true));   // Zen 4 / Zen 5: opt-in
        Assert.IsFalse(MklVendorCheck.OnByDefault("AuthenticAMD", avx2: false, avx512F: false));
        Assert.IsFalse(MklVendorCheck.OnByDefault("GenuineIntel", avx2: true, avx512F: false)); // nothing to bypass
    }

    /// <summary>AVX2 and AVX-512F as the kernel lists them in /proc/cpuinfo (an independent reading of CPUID).</summary>
    static (bool Avx2, bool Avx512F) CpuFlags()
    {
        var flags = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(' ');
        return (flags.Contains("avx2"), flags.Contains("avx512f"));
    }

    [TestMethod]
    public void MatrixProductsOfATrainingStepMatchADoublePrecisionReference()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var generator = new Generator(17);
        var x = randn(new long[] { 96, 384 }, generator: generator);     // activations: 96 tokens × hidden 384
        var w = randn(new long[] { 1536, 384 }, generator: generator);   // an FFN weight [out, in], as nn.Linear stores it
        var dy = randn(new long[] { 96, 1536 }, generator: generator);   // the gradient arriving at its output
        // Forward x·Wᵀ, backward dX = dY·W and dW = dYᵀ·X: the three layouts of every linear layer's step.
        (Tensor Float, Tensor Reference)[] products =
        [
            (x.matmul(w.t()), x.to(float64).matmul(w.t().to(float64))),
            (dy.matmul(w), dy.to(float64).matmul(w.to(float64))),
            (dy.t().matmul(x), dy.t().to(float64).matmul(x.to(float64))),
            (bmm(x.view(8, 12, 384), x.view(8, 12, 384).transpose(1, 2)), bmm(x.to(float64).view(8, 12, 384), x.to(float64).view(8, 12, 384).transpose(1, 2))),
        ];
        foreach (var (value, reference) in products)
        {
            double error = (value.to(float64) - reference).abs().max().item<double>();
            double scale = reference.abs().max().item<double>();
            Assert.IsTrue(error <= 1e-5 * scale, $"max error {error} against a largest entry of {scale} ({MklVendorCheck.State})");
        }
    }
}
