using System.Diagnostics;
using Microsoft.ML;

namespace MLNet.FineTune.Benchmarks;

/// <summary>Single-sentence PredictionEngine latency: <c>calls</c> timed calls (ms) after <c>warmup</c> untimed ones, cycling through the sentences.</summary>
public static class PredictLatency
{
    public static List<double> Measure(PredictionEngine<Sst2Row, BinaryPrediction> engine, IReadOnlyList<Sst2Row> sentences, int warmup, int calls) =>
        Measure(engine, sentences.Select(s => s.Text).ToList(), text => new Sst2Row { Text = text }, warmup, calls);

    /// <summary>The same for any input row type built from a text.</summary>
    public static List<double> Measure<TIn, TOut>(PredictionEngine<TIn, TOut> engine, IReadOnlyList<string> texts, Func<string, TIn> row, int warmup, int calls)
        where TIn : class where TOut : class, new()
    {
        var latencies = new List<double>(calls);
        for (int i = 0; i < warmup + calls; i++)
        {
            var input = row(texts[i % texts.Count]);
            var t = Stopwatch.StartNew();
            engine.Predict(input);
            if (i >= warmup) latencies.Add(t.Elapsed.TotalMilliseconds);
        }
        return latencies;
    }
}
