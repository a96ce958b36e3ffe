using System.Runtime.InteropServices;
using MLNet.FineTune.Modeling;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Probe (issue #14/#17, single-sentence latency): the 36 weight products of a MiniLM forward pass (6 layers × Q, K, V,
/// O, FFN in, FFN out; 44 MB of distinct weights, so they stream from memory as in a real call) for a few token counts
/// M, three ways: x·Wᵀ as libtorch's linear does it (MKL, W row-major), x·Wt with the weight stored transposed, and MKL's
/// packed-weight API (cblas_sgemm_pack once, cblas_sgemm_compute per call; libtorch_cpu exports both), which is what
/// ONNX Runtime's pre-packed MatMul corresponds to. Median ms of the 36 products, and the packed result's largest
/// difference from linear's.
/// </summary>
public static class SmallBatchGemmProbe
{
    const int RowMajor = 101, NoTrans = 111, Trans = 112, Packed = 151, BMatrix = 162;

    [DllImport("libtorch_cpu")] static extern nuint cblas_sgemm_pack_get_size(int identifier, int m, int n, int k);
    [DllImport("libtorch_cpu")] static extern void cblas_sgemm_pack(int layout, int identifier, int trans, int m, int n, int k, float alpha, nint src, int ld, nint dest);
    [DllImport("libtorch_cpu")] static extern void cblas_sgemm_compute(int layout, int transa, int transb, int m, int n, int k, nint a, int lda, nint b, int ldb, float beta, nint c, int ldc);

    public static string Run()
    {
        set_num_threads(2);
        var weights = new List<Tensor>();
        for (int layer = 0; layer < 6; layer++)
        {
            for (int j = 0; j < 4; j++) weights.Add(randn(384, 384));
            weights.Add(randn(1536, 384));
            weights.Add(randn(384, 1536));
        }
        var transposed = weights.Select(w => w.t().contiguous()).ToList();
        var lines = new List<string>();
        foreach (int m in new[] { 2, 8, 15, 24, 32, 64, 640 })
        {
            var inputs = weights.Select(w => randn(m, w.size(1))).ToList();
            var outputs = weights.Select(w => empty(m, w.size(0))).ToList();
            var packed = weights.Select(w => Pack(w, m)).ToList();
            try
            {
                double linear = OpProbe.Time(() => { for (int i = 0; i < weights.Count; i++) using (nn.functional.linear(inputs[i], weights[i])) { } return inputs[0]; }, 10, 100);
                double stored = OpProbe.Time(() => { for (int i = 0; i < weights.Count; i++) using (inputs[i].matmul(transposed[i])) { } return inputs[0]; }, 10, 100);
                double mklPacked = OpProbe.Time(() => { for (int i = 0; i < weights.Count; i++) Compute(inputs[i], packed[i], weights[i], outputs[i]); return inputs[0]; }, 10, 100);
                double diff = weights.Select((w, i) => { using var reference = nn.functional.linear(inputs[i], w); using var d = (reference - outputs[i]).abs().max(); return d.item<float>(); }).Max();
                lines.Add($"M={m}: linear (x·Wᵀ) {linear:F3} ms, weight stored transposed {stored:F3} ms, MKL packed {mklPacked:F3} ms ({mklPacked / linear:F2}×), max|packed − linear| {diff:E1}");
            }
            finally { packed.ForEach(Marshal.FreeHGlobal); }
        }
        return string.Join("\n", lines);
    }

    /// <summary>Packs B = Wᵀ (W is (n, k) row-major) for products with <paramref name="m"/> rows.</summary>
    static nint Pack(Tensor w, int m)
    {
        int n = (int)w.size(0), k = (int)w.size(1);
        nint buffer = Marshal.AllocHGlobal((nint)cblas_sgemm_pack_get_size(BMatrix, m, n, k));
        cblas_sgemm_pack(RowMajor, BMatrix, Trans, m, n, k, 1f, TensorMemory.DataPointer(w), k, buffer);
        return buffer;
    }

    static void Compute(Tensor x, nint packedB, Tensor w, Tensor output)
    {
        int m = (int)x.size(0), n = (int)w.size(0), k = (int)w.size(1);
        cblas_sgemm_compute(RowMajor, NoTrans, Packed, m, n, k, TensorMemory.DataPointer(x), k, packedB, n, 0f, TensorMemory.DataPointer(output), n);
    }
}
