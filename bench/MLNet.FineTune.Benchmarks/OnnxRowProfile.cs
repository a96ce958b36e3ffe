using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.FineTune.Data;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Where one ONNX Runtime call on a single sentence goes (issue #14's latency goal): for each token count, the median
/// <c>InferenceSession.Run</c> time of a 1-row input (no tokenizer, no ML.NET plumbing), then ONNX Runtime's own profiler
/// (<c>SessionOptions.EnableProfiling</c>) summed by operator type. Time that grows with the token count at a fixed
/// GFLOP/s is arithmetic; what a 1-token call takes is the graph's fixed cost per call. <see cref="RunTorch"/> times the
/// TorchSharp forward pass of a fitted model's zip on the same 1-row shapes, for the same split on the other runtime.
/// </summary>
internal static class OnnxRowProfile
{
    const int Calls = 300, WarmupCalls = 20;

    public static string Run(string model, int[] tokenCounts, int threads)
    {
        var lines = new List<string>();
        foreach (int tokens in tokenCounts)
        {
            using var options = new SessionOptions { IntraOpNumThreads = threads };
            using var session = new InferenceSession(model, options);
            lines.Add($"{{\"mode\": \"onnx-speed profile\", \"tokens\": {tokens}, \"threads\": {threads}, \"run_p50_ms\": {Median(session, tokens):F2}}}");
        }
        using (var options = new SessionOptions { IntraOpNumThreads = threads, EnableProfiling = true, ProfileOutputPathPrefix = Path.Combine(Path.GetTempPath(), "onnx-row-profile") })
        using (var session = new InferenceSession(model, options))
        {
            int tokens = tokenCounts[tokenCounts.Length / 2];
            Median(session, tokens);
            string file = session.EndProfiling();
            lines.Add($"{{\"mode\": \"onnx-speed profile ops\", \"tokens\": {tokens}, \"kernel_ms_per_run\": {{{ByOperator(file)}}}}}");
            File.Delete(file);
        }
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The encoder + heads forward pass of a saved FineTune model on one row of each token count (no tokenizer, no ML.NET plumbing).</summary>
    public static string RunTorch(string zip, int[] tokenCounts, int threads)
    {
        set_num_threads(threads);
        var ml = new MLContext(seed: 1);
        var model = ml.Model.Load(zip, out _) as FineTuneTransformer ?? throw new InvalidOperationException($"{zip} is not a FineTune model.");
        var scorer = (FineTuneScorer)model.Scorer;
        var network = model.Network;
        network.eval();
        var tokenLevel = network.Tasks.Select(t => t.IsTokenLevel).ToArray();
        var packs = new MLNet.FineTune.Modeling.WeightPacking.PackedWeightScoring(); // as the scorer does (MLNET_FINETUNE_PACKED_WEIGHTS=off: libtorch's linear)
        var lines = new List<string>();
        foreach (int tokens in tokenCounts)
        {
            // "good" is one WordPiece token, so n − 2 of them plus [CLS] and [SEP] make a row of n tokens.
            var encodings = scorer.Encode([string.Join(' ', Enumerable.Repeat("good", Math.Max(0, tokens - 2)))], null);
            var times = new List<double>();
            for (int call = 0; call < WarmupCalls + Calls; call++)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                using var packed = packs.Activate();
                var batch = TextBatchCollator.Collate(encodings, null, model.Package.Tokenizer.PadTokenId, tokenLevel);
                var clock = Stopwatch.StartNew();
                network.Forward(batch);
                if (call >= WarmupCalls) times.Add(clock.Elapsed.TotalMilliseconds);
            }
            lines.Add($"{{\"mode\": \"onnx-speed profile torch\", \"tokens\": {encodings[0].Length}, \"threads\": {get_num_threads()}, \"forward_p50_ms\": {Stats.Median(times):F2}, \"packed_products\": {packs.ProductsComputed}}}");
        }
        return string.Join(Environment.NewLine, lines);
    }

    static double Median(InferenceSession session, int tokens)
    {
        var inputs = SingleRow(session, tokens);
        var times = new List<double>();
        for (int call = 0; call < WarmupCalls + Calls; call++)
        {
            var clock = Stopwatch.StartNew();
            using (session.Run(inputs)) { }
            if (call >= WarmupCalls) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Stats.Median(times);
    }

    /// <summary>A 1 × <paramref name="tokens"/> input of ordinary word ids, all attended, for every input the graph declares.</summary>
    static List<NamedOnnxValue> SingleRow(InferenceSession session, int tokens)
    {
        var inputs = new List<NamedOnnxValue>();
        foreach (var name in session.InputMetadata.Keys)
        {
            var tensor = new DenseTensor<long>([1, tokens]);
            for (int t = 0; t < tokens; t++) tensor[0, t] = name switch { "input_ids" => 2000 + t, "attention_mask" => 1, _ => 0 };
            inputs.Add(NamedOnnxValue.CreateFromTensor(name, tensor));
        }
        return inputs;
    }

    /// <summary>Kernel time per run by operator type, largest first, from a profile's "Node" events.</summary>
    static string ByOperator(string profileFile)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(profileFile));
        var totals = new Dictionary<string, double>();
        int runs = 0;
        foreach (var e in json.RootElement.EnumerateArray())
        {
            string name = e.GetProperty("name").GetString() ?? "";
            string category = e.TryGetProperty("cat", out var c) ? c.GetString() ?? "" : "";
            if (category == "Session" && name == "model_run") runs++;
            if (category != "Node" || !name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            string op = e.GetProperty("args").TryGetProperty("op_name", out var o) ? o.GetString() ?? "?" : "?";
            totals[op] = totals.GetValueOrDefault(op) + e.GetProperty("dur").GetDouble() / 1000.0;
        }
        runs = Math.Max(1, runs);
        return string.Join(", ", totals.OrderByDescending(t => t.Value).Select(t => $"\"{t.Key}\": {t.Value / runs:F3}"));
    }
}
