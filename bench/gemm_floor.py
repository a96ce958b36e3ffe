"""The matrix products of one bench.py training step, each timed alone in PyTorch (median of 20) and summed with its
count: the step's GEMM floor on this machine. Mirror of bench/MLNet.FineTune.Benchmarks/GemmFloor.cs (same list);
reference only. Run with Debian's torch and OpenBLAS as shared/bench/pytorch-reference/README.md says:
  OPENBLAS_CORETYPE=Zen LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/gemm_floor.py full|lora
"""
import json, sys, time, statistics, torch

M, H, F, BH, T, D, L = 4096, 256, 1024, 128, 128, 64, 4
PRODUCTS = [  # (label, A, B, transpose B, weight gradient, count)
    ("fwd Q,K,V,O", (M, H), (H, H), True, False, 4 * L),
    ("fwd FFN in", (M, H), (F, H), True, False, L),
    ("fwd FFN out", (M, F), (H, F), True, False, L),
    ("fwd Q·Kᵀ", (BH, T, D), (BH, T, D), True, False, L),
    ("fwd P·V", (BH, T, T), (BH, T, D), False, False, L),
    ("bwd dX of Q,K,V,O", (M, H), (H, H), False, False, 4 * L),
    ("bwd dX of FFN in", (M, F), (F, H), False, False, L),
    ("bwd dX of FFN out", (M, H), (H, F), False, False, L),
    ("bwd dC·Vᵀ", (BH, T, D), (BH, T, D), True, False, L),
    ("bwd Pᵀ·dC, dS·K, dSᵀ·Q", (BH, T, T), (BH, T, D), False, False, 3 * L),
    ("bwd dW of Q,K,V,O", (H, M), (M, H), False, True, 4 * L),
    ("bwd dW of FFN in", (F, M), (M, H), False, True, L),
    ("bwd dW of FFN out", (H, M), (M, F), False, True, L),
]

def median_ms(f):
    for _ in range(3): f()
    ts = []
    for _ in range(20):
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts)

def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "full"
    torch.set_num_threads(2)
    total = flops = 0.0; each = {}
    with torch.no_grad():
        for label, a_shape, b_shape, bt, weights, count in PRODUCTS:
            if mode == "lora" and weights: continue
            a, b = torch.randn(*a_shape), torch.randn(*b_shape)
            if bt: b = b.transpose(-1, -2)
            ms = median_ms(lambda: torch.matmul(a, b))
            m, k = a_shape[-2], a_shape[-1]; n = b.shape[-1]; batch = a_shape[0] if len(a_shape) == 3 else 1
            total += ms * count; flops += 2.0 * batch * m * k * n * count; each[label] = round(ms, 3)
    print(json.dumps({"mode": "gemm-floor", "step": mode, "gemm_ms": round(total, 1), "gflop": round(flops / 1e9, 1),
                      "gflop_per_s": round(flops / 1e9 / (total / 1000), 1), "ms_each": each}))

if __name__ == "__main__":
    main()
