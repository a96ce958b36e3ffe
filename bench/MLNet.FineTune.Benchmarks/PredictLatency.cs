using System.Diagnostics;
using Microsoft.ML;

namespace MLNet.FineTune.Benchmarks;

/// <summary>Single-sentence PredictionEngine latency: <c>calls</c> timed calls (ms) after <c>warmup</c> untimed ones, cycling through the sentences.</summary>
public static class PredictLatency
{
    public static List<double> Measure(PredictionEngine<Sst2Row, BinaryPrediction> engine, IReadOnlyList<Sst2Row> sentences, int warmup, int calls)
    {
        var latencies = new List<double>(calls);
        for (int i = 0; i < warmup + calls; i++)
        {
            var row = new Sst2Row { Text = sentences[i % sentences.Count].Text };
            var t = Stopwatch.StartNew();
            engine.Predict(row);
            if (i >= warmup) latencies.Add(t.Elapsed.TotalMilliseconds);
        }
        return latencies;
    }
}
