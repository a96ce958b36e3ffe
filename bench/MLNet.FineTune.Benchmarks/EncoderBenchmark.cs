using System.Diagnostics;
using System.Text.Json;
using MLNet.FineTune.Modeling;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>Inference forward of our BERT encoder (with pooler) on bench.py's "infer" workload: eval, no_grad, batch 32 then 1.</summary>
public static class EncoderBenchmark
{
    public static string Run(int warmup, int steps)
    {
        set_num_threads(2);
        manual_seed(0);
        var encoder = EncoderFactory.Create(ReferenceWorkload.Config);
        encoder.eval();
        double rssAfterModel = ProcessMemory.CurrentRssMb();
        var result = new Dictionary<string, object> { ["impl"] = "mlnet-finetune", ["mode"] = "encoder", ["threads"] = get_num_threads() };
        foreach (int batch in new[] { 32, 1 })
        {
            var (input, labels) = ReferenceWorkload.MakeBatch(batch, ReferenceWorkload.SequenceLength);
            var times = new List<double>();
            using (no_grad())
                for (int step = 0; step < warmup + steps; step++)
                {
                    var clock = Stopwatch.StartNew();
                    using (NewDisposeScope()) encoder.Forward(input);
                    if (step >= warmup) times.Add(clock.Elapsed.TotalMilliseconds);
                }
            result[$"infer_b{batch}_ms"] = Math.Round(Stats.Median(times), 3);
            labels.Dispose();
        }
        result["steps"] = steps;
        result["rss_after_model_mib"] = rssAfterModel;
        result["peak_rss_mib"] = ProcessMemory.PeakRssMb();
        return JsonSerializer.Serialize(result);
    }
}
