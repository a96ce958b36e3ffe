using System.Diagnostics;
using MLNet.FineTune.Data;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Where a single-sentence prediction goes (issue #17, inference): the median time of each stage of
/// <see cref="FineTuneScorer.Score"/> — tokenize, collate into tensors, encoder + heads forward, decode the columns —
/// measured on the same dev sentences as the PredictionEngine latency. What the PredictionEngine's p50 has beyond their
/// sum is ML.NET's row plumbing (cursor, getters, the input/output objects).
/// </summary>
internal static class SingleRowProfile
{
    public static Dictionary<string, double> Measure(FineTuneTransformer model, IReadOnlyList<string> sentences, int warmup, int calls)
    {
        var scorer = (FineTuneScorer)model.Scorer;
        var network = model.Network;
        var stages = new[] { "tokenize", "collate", "forward", "decode" };
        var times = stages.ToDictionary(s => s, _ => new List<double>());
        var clock = new Stopwatch();
        double Lap() { double ms = clock.Elapsed.TotalMilliseconds; clock.Restart(); return ms; }
        for (int i = 0; i < warmup + calls; i++)
        {
            var texts = new[] { sentences[i % sentences.Count] };
            clock.Restart();
            var encodings = scorer.Encode(texts, null);
            double tokenize = Lap();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            network.eval();
            var batch = TextBatchCollator.Collate(encodings, null, model.Package.Tokenizer.PadTokenId, network.Tasks.Select(t => t.IsTokenLevel).ToArray());
            double collate = Lap();
            var logits = network.Forward(batch);
            double forward = Lap();
            for (int h = 0; h < network.Tasks.Count; h++) network.Tasks[h].Decode(logits[h], encodings, texts);
            double decode = Lap();
            if (i < warmup) continue;
            times["tokenize"].Add(tokenize); times["collate"].Add(collate); times["forward"].Add(forward); times["decode"].Add(decode);
        }
        var result = times.ToDictionary(t => t.Key + "_p50_ms", t => Math.Round(Stats.Percentile(t.Value, 50), 3));
        // The same forward pass on one thread: whether handing a 1-row batch's small products to a second thread pays.
        int threads = TorchSharp.torch.get_num_threads();
        TorchSharp.torch.set_num_threads(1);
        try
        {
            var oneThread = new List<double>();
            for (int i = 0; i < warmup + calls; i++)
            {
                var texts = new[] { sentences[i % sentences.Count] };
                var encodings = scorer.Encode(texts, null);
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                var batch = TextBatchCollator.Collate(encodings, null, model.Package.Tokenizer.PadTokenId, network.Tasks.Select(t => t.IsTokenLevel).ToArray());
                clock.Restart();
                network.Forward(batch);
                if (i >= warmup) oneThread.Add(clock.Elapsed.TotalMilliseconds);
            }
            result["forward_1thread_p50_ms"] = Math.Round(Stats.Percentile(oneThread, 50), 3);
        }
        finally { TorchSharp.torch.set_num_threads(threads); }
        return result;
    }
}
