using System.Runtime.InteropServices;

namespace MLNet.FineTune.Modeling.WeightPacking;

/// <summary>
/// MKL's packed-matrix GEMM (<c>cblas_sgemm_pack_get_size</c>, <c>cblas_sgemm_pack</c>, <c>cblas_sgemm_compute</c>),
/// which libtorch_cpu links in and exports. A weight packed once into MKL's internal layout skips the per-call copy and
/// the slow "no-copy" kernel MKL picks for products with a few rows: the 36 weight products of a 15-token MiniLM
/// forward take 0.68× the time of libtorch's linear, 0.42× at 2 tokens (<c>bench small-gemm</c>, docs/benchmarks.md).
/// Resolved at run time: a libtorch without MKL (another platform, another build) leaves <see cref="Available"/> false
/// and scoring on libtorch's own linear.
/// </summary>
internal static unsafe class MklPackedGemm
{
    const int RowMajor = 101, NoTrans = 111, Trans = 112, Packed = 151, BMatrix = 162;

    static readonly delegate* unmanaged<int, int, int, int, nuint> packGetSize;
    static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, void*, void> pack;
    static readonly delegate* unmanaged<int, int, int, int, int, int, float*, int, void*, int, float, float*, int, void> compute;

    static MklPackedGemm()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        TorchRuntime.EnsureLoaded();
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", typeof(MklPackedGemm).Assembly, null, out var torchCpu)) return;
        if (NativeLibrary.TryGetExport(torchCpu, "cblas_sgemm_pack_get_size", out var getSize)
            && NativeLibrary.TryGetExport(torchCpu, "cblas_sgemm_pack", out var packB)
            && NativeLibrary.TryGetExport(torchCpu, "cblas_sgemm_compute", out var computeC))
        {
            packGetSize = (delegate* unmanaged<int, int, int, int, nuint>)getSize;
            pack = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, void*, void>)packB;
            compute = (delegate* unmanaged<int, int, int, int, int, int, float*, int, void*, int, float, float*, int, void>)computeC;
        }
    }

    /// <summary>Whether this process's libtorch exports MKL's packed GEMM.</summary>
    public static bool Available => compute != null;

    /// <summary>Bytes MKL asks for to hold Wᵀ packed, W being (n, k) row-major, for products with <paramref name="rows"/> rows.</summary>
    public static long PackedSize(int rows, int n, int k) => (long)packGetSize(BMatrix, rows, n, k);

    /// <summary>Packs B = Wᵀ, W (n, k) row-major at <paramref name="weight"/>, into <paramref name="destination"/>.</summary>
    public static void PackTransposedWeight(float* weight, int rows, int n, int k, void* destination) =>
        pack(RowMajor, BMatrix, Trans, rows, n, k, 1f, weight, k, destination);

    /// <summary>C (m, n) = A (m, k) · packed B, all row-major and contiguous.</summary>
    public static void Multiply(float* a, void* packedB, float* c, int m, int n, int k) =>
        compute(RowMajor, NoTrans, Packed, m, n, k, a, k, packedB, n, 0f, c, n);
}
