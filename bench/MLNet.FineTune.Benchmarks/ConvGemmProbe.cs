using System.Diagnostics;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>Probe: a linear layer as libtorch's GEMM (MKL) vs as a 1×1 convolution (oneDNN), forward and forward+backward, ms.</summary>
public static class ConvGemmProbe
{
    public static string Run()
    {
        set_num_threads(2);
        var lines = new List<string>();
        foreach (var (m, k, n) in new[] { (4096L, 256L, 256L), (4096L, 256L, 1024L), (4096L, 1024L, 256L) })
        {
            var x = randn(m, k).requires_grad_(true); var w = randn(n, k).requires_grad_(true);
            double fl = 2.0 * m * k * n / 1e9;
            double lin = OpProbe.Time(() => nn.functional.linear(x, w));
            double conv = OpProbe.Time(() => nn.functional.conv2d(x.view(m, k, 1, 1), w.view(n, k, 1, 1)).view(m, n));
            double linB = OpProbe.Time(() => { var y = nn.functional.linear(x, w); y.sum().backward(); return y; });
            double convB = OpProbe.Time(() => { var y = nn.functional.conv2d(x.view(m, k, 1, 1), w.view(n, k, 1, 1)); y.sum().backward(); return y; });
            using (no_grad())
            {
                var a = nn.functional.linear(x, w); var b = nn.functional.conv2d(x.view(m, k, 1, 1), w.view(n, k, 1, 1)).view(m, n);
                double diff = (a - b).abs().max().item<float>();
                lines.Add($"{m}x{k}->{n}: linear {lin:F2} ms ({fl / lin * 1000:F0} GFLOP/s), conv1x1 {conv:F2} ms ({fl / conv * 1000:F0}), fwd+bwd linear {linB:F2} conv {convB:F2}, max|diff| {diff:E1}");
            }
        }
        return string.Join("\n", lines);
    }
}
