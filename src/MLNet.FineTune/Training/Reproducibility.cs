using System.Runtime.InteropServices;

namespace MLNet.FineTune.Training;

/// <summary>
/// Bit-for-bit reproducibility of CPU math. libtorch's CPU build links Intel MKL, whose matrix kernels pick code
/// paths by memory alignment, so the same computation on differently aligned buffers can differ in the last bit:
/// two runs with the same seed (or a resumed run and an uninterrupted one) then drift apart by ~1e-8.
/// MKL's "conditional numerical reproducibility" mode AUTO removes that; it must be chosen before MKL's first call.
/// </summary>
internal static class Reproducibility
{
    const int MklCbwrAuto = 2;
    const int MklCbwrSuccess = 0;

    [DllImport("libtorch_cpu", EntryPoint = "mkl_serv_cbwr_set")]
    static extern int MklCbwrSet(int settings);

    [DllImport("libtorch_cpu", EntryPoint = "mkl_serv_cbwr_get")]
    static extern int MklCbwrGet(int option);

    /// <summary>
    /// Switches MKL to reproducible mode (MKL_CBWR=AUTO). Call once, before any tensor math (setting the environment
    /// variable <c>MKL_CBWR=AUTO</c> before the process starts does the same). Returns false when MKL is absent
    /// (CUDA-only or non-x64 builds) or refused because it was already in use.
    /// </summary>
    public static bool EnableDeterministicCpuMath()
    {
        try
        {
            return MklCbwrSet(MklCbwrAuto) == MklCbwrSuccess;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Current MKL reproducibility branch (2 = AUTO), or -1 when MKL is not reachable.</summary>
    public static int CurrentCpuMathMode()
    {
        try
        {
            return MklCbwrGet(1);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return -1;
        }
    }
}
