using System.Runtime.CompilerServices;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Training;

/// <summary>
/// Puts MKL in reproducible mode when the test assembly loads, before any test touches tensor math: the bit-exact
/// determinism and resume tests need it (without it, MKL's alignment-dependent kernels differ in the last bit).
/// A module initializer rather than [AssemblyInitialize] so it cannot clash with another folder's setup.
/// </summary>
internal static class DeterministicCpuMath
{
    [ModuleInitializer]
    internal static void Enable() => Reproducibility.EnableDeterministicCpuMath();
}

[TestClass]
public class ReproducibilityTests
{
    [TestMethod]
    public void MklRunsInReproducibleMode() =>
        Assert.AreEqual(2, Reproducibility.CurrentCpuMathMode(), "MKL_CBWR=AUTO must be active (set by the module initializer before any tensor math)");
}
