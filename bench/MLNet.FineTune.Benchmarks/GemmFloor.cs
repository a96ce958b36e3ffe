using System.Diagnostics;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// The matrix products of one bench.py training step (batch 32 × 128 tokens, hidden 256, FFN 1024, 4 layers, 4 heads),
/// each timed alone in libtorch (median of 20 calls) and summed with its count: the time a step would take if it did
/// nothing but its GEMMs at this machine's speed for those shapes. bench/gemm_floor.py times the same list in PyTorch,
/// so a step's distance from its own GEMM floor can be compared across the two runtimes in one run (issue #17).
/// </summary>
public static class GemmFloor
{
    /// <summary>(label, A shape, B shape, transpose B, times per step): A·B or A·Bᵀ, batched when 3-D.</summary>
    internal static IEnumerable<(string Label, long[] A, long[] B, bool Bt, bool Weights, int Count)> Products(int layers = 4)
    {
        const long M = 4096, H = 256, F = 1024, BH = 128, T = 128, D = 64;
        // forward: x·Wᵀ for Q, K, V, O, FFN in, FFN out; QKᵀ and P·V per head
        yield return ("fwd Q,K,V,O", [M, H], [H, H], true, false, 4 * layers);
        yield return ("fwd FFN in", [M, H], [F, H], true, false, layers);
        yield return ("fwd FFN out", [M, F], [H, F], true, false, layers);
        yield return ("fwd Q·Kᵀ", [BH, T, D], [BH, T, D], true, false, layers);
        yield return ("fwd P·V", [BH, T, T], [BH, T, D], false, false, layers);
        // backward, input gradients dY·W
        yield return ("bwd dX of Q,K,V,O", [M, H], [H, H], false, false, 4 * layers);
        yield return ("bwd dX of FFN in", [M, F], [F, H], false, false, layers);
        yield return ("bwd dX of FFN out", [M, H], [H, F], false, false, layers);
        // attention backward: dP = dC·Vᵀ, dV = Pᵀ·dC, dQ = dS·K, dK = dSᵀ·Q (Pᵀ, dSᵀ as contiguous stand-ins)
        yield return ("bwd dC·Vᵀ", [BH, T, D], [BH, T, D], true, false, layers);
        yield return ("bwd Pᵀ·dC, dS·K, dSᵀ·Q", [BH, T, T], [BH, T, D], false, false, 3 * layers);
        // backward, weight gradients dYᵀ·X (skipped by LoRA, whose base weights are frozen)
        yield return ("bwd dW of Q,K,V,O", [H, M], [M, H], false, true, 4 * layers);
        yield return ("bwd dW of FFN in", [F, M], [M, H], false, true, layers);
        yield return ("bwd dW of FFN out", [H, M], [M, F], false, true, layers);
    }

    public static string Run(string mode)
    {
        set_num_threads(2);
        bool lora = mode == "lora";
        double total = 0, flops = 0;
        var lines = new List<string>();
        foreach (var p in Products())
        {
            if (lora && p.Weights) continue;
            using var a = randn(p.A); using var b0 = randn(p.B);
            var b = p.Bt ? b0.transpose(-1, -2) : b0;
            double ms = OpProbe.Time(() => a.matmul(b), warmup: 3, calls: 20);
            long m = p.A[^2], k = p.A[^1], n = p.Bt ? p.B[^2] : p.B[^1], batch = p.A.Length == 3 ? p.A[0] : 1;
            total += ms * p.Count;
            flops += 2.0 * batch * m * k * n * p.Count;
            lines.Add($"    \"{p.Label}\": {ms:F3}");
        }
        return $"{{\"mode\": \"gemm-floor\", \"step\": \"{mode}\", \"gemm_ms\": {total:F1}, \"gflop\": {flops / 1e9:F1}, \"gflop_per_s\": {flops / 1e9 / (total / 1000):F1},\n  \"ms_each\": {{\n{string.Join(",\n", lines)}\n  }}}}";
    }
}
