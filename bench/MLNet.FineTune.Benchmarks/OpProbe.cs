using System.Diagnostics;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Times single ops of the bench.py training step (batch 32 x 128, hidden 256): LoRA's rank-8 GEMMs in several equivalent
/// layouts, and the elementwise ops (dropout, GELU, LayerNorm, softmax), medians of 50 calls in ms.
/// </summary>
public static class OpProbe
{
    public static string Run()
    {
        set_num_threads(2);
        var x = randn(4096, 256); var a = randn(8, 256); var b = randn(256, 8); var g = randn(4096, 256); var h = randn(4096, 8);
        var big = randn(2048, 2048); var w1024 = randn(1024, 256);
        var scores = randn(32, 4, 128, 128); var wide = randn(32, 128, 1024);
        var results = new Dictionary<string, double>
        {
            ["x@A^T (n=8)"] = Time(() => x.matmul(a.t())),
            ["(A@x^T)^T (m=8)"] = Time(() => a.matmul(x.t()).t()),
            ["h@B^T (k=8)"] = Time(() => h.matmul(b.t())),
            ["h@B^T contiguous B^T"] = Time(() => h.matmul(b.t().contiguous())),
            ["g@B (n=8)"] = Time(() => g.matmul(b)),
            ["g^T@h (grad B, n=8)"] = Time(() => g.t().matmul(h)),
            ["h^T@x (grad A, m=8)"] = Time(() => h.t().matmul(x)),
            ["g@Bc^T (grad h, B column-major)"] = Time(() => g.matmul(b.t().contiguous().t())),
            ["h^T@g (grad B, m=8)"] = Time(() => h.t().matmul(g)),
            ["lora fwd+bwd, B row-major"] = Time(() => LoraStep(x, g, false)),
            ["lora fwd+bwd, B column-major"] = Time(() => LoraStep(x, g, true)),
            ["dropout 32x128x256"] = Time(() => nn.functional.dropout(x.view(32, 128, 256), 0.1, true)),
            ["dropout 32x4x128x128"] = Time(() => nn.functional.dropout(scores, 0.1, true)),
            ["hashed dropout 32x128x256"] = Time(() => MLNet.FineTune.Modeling.VectorizedDropout.Apply(x.view(32, 128, 256), 0.1)),
            ["hashed dropout 32x4x128x128"] = Time(() => MLNet.FineTune.Modeling.VectorizedDropout.Apply(scores, 0.1)),
            ["hashed mask fill 32x4x128x128"] = Time(() => { var m = empty_like(scores); MLNet.FineTune.Modeling.VectorizedDropout.Fill(m, 0.1); return m; }),
            ["mul 32x4x128x128"] = Time(() => scores.mul(scores)),
            ["gelu 32x128x1024"] = Time(() => nn.functional.gelu(wide)),
            ["layernorm 256"] = Time(() => nn.functional.layer_norm(x.view(32, 128, 256), new long[] { 256 })),
            ["softmax"] = Time(() => scores.softmax(-1)),
            ["matmul 2048^3"] = Time(() => big.matmul(big)),
            ["linear 4096x256 -> 1024"] = Time(() => nn.functional.linear(x, w1024)),
            ["x@W^T (256x256 base)"] = Time(() => x.matmul(g[..256].t())),
        };
        return System.Text.Json.JsonSerializer.Serialize(results.ToDictionary(k => k.Key, k => Math.Round(k.Value, 3)));
    }

    static Tensor LoraStep(Tensor x, Tensor g, bool columnMajorB)
    {
        var a = randn(8, 256).requires_grad_(true);
        var b = (columnMajorB ? randn(8, 256).t() : randn(256, 8)).requires_grad_(true);
        var y = nn.functional.linear(nn.functional.linear(x.view(32, 128, 256), a), b);
        y.backward(new[] { g.view(32, 128, 256) });
        return y;
    }

    /// <summary>Median ms of <paramref name="calls"/> calls after <paramref name="warmup"/> unmeasured ones, each in its own dispose scope.</summary>
    internal static double Time(Func<Tensor> f, int warmup = 5, int calls = 50)
    {
        for (int i = 0; i < warmup; i++) using (NewDisposeScope()) f();
        var t = new List<double>();
        for (int i = 0; i < calls; i++)
        {
            var c = Stopwatch.StartNew();
            using (NewDisposeScope()) f();
            t.Add(c.Elapsed.TotalMilliseconds);
        }
        return Stats.Median(t);
    }
}
