using System.Diagnostics;
using System.Text.Json;
using MLNet.FineTune.Generation;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Greedy generation with <see cref="TextGenerator"/> on <see cref="DecoderWorkload"/>'s random models: --batch prompts of
/// --prompt random tokens each (no padding), exactly --new tokens each (no eos stop), with or without the KV cache.
/// Tokens/s counts new tokens of all rows over the wall time of the whole call (prompt processing included), median
/// of --runs after one warm-up call. bench/decoder_reference.py times Hugging Face's generate() the same way.
/// </summary>
public static class DecoderGenerationBenchmark
{
    public static string Run(string model, string[] args)
    {
        set_num_threads(2);
        int batch = Flags.Int(args, "--batch", 1), promptLength = Flags.Int(args, "--prompt", 32), newTokens = Flags.Int(args, "--new", 64);
        int runs = Flags.Int(args, "--runs", 3);
        bool useCache = Flags.String(args, "--cache", "true") == "true";
        var decoder = DecoderWorkload.Create(model, lora: false);
        decoder.Module.eval();
        var (ids, _, _) = DecoderWorkload.MakeBatch(decoder.Config, batch, promptLength, seed: 1);
        var prompts = Enumerable.Range(0, batch).Select(r => (IReadOnlyList<int>)ids[r].data<long>().Select(i => (int)i).ToArray()).ToList();
        var options = new GenerationOptions { MaxNewTokens = newTokens, EosTokenIds = [], UseCache = useCache };
        var generator = new TextGenerator(decoder);
        var seconds = new List<double>();
        IReadOnlyList<GeneratedSequence> output = [];
        for (int run = 0; run <= runs; run++)
        {
            var clock = Stopwatch.StartNew();
            output = generator.Generate(prompts, options);
            if (run > 0) seconds.Add(clock.Elapsed.TotalSeconds);
        }
        if (output.Any(o => o.TokenIds.Count != newTokens)) throw new InvalidOperationException("A row did not generate every token.");
        double median = Stats.Median(seconds);
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["impl"] = "mlnet-finetune",
            ["model"] = model,
            ["use_cache"] = useCache,
            ["threads"] = get_num_threads(),
            ["batch"] = batch,
            ["prompt_tokens"] = promptLength,
            ["new_tokens"] = newTokens,
            ["runs"] = runs,
            ["seconds"] = Math.Round(median, 3),
            ["tokens_per_s"] = Math.Round(batch * newTokens / median, 2),
            ["seconds_all"] = seconds.Select(s => Math.Round(s, 3)).ToArray(),
            ["first_row_head"] = output[0].TokenIds.Take(8).ToArray(),
            ["packed_products"] = generator.PackedWeights.ProductsComputed,
            ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
        });
    }
}
