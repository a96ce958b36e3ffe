using System.Diagnostics;
using System.Text.Json;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Training-step time and peak memory of each fine-tuning method on a randomly initialised encoder (CPU, fp32):
/// forward + cross-entropy + backward + AdamW step on the trainable parameters only, one dispose scope per step.
/// </summary>
public static class PeftBenchmark
{
    public static readonly string[] DefaultMethods = { "full", "lora", "houlsby", "pfeiffer", "prompt" };

    public static string Run(string methodName, BenchmarkSettings s)
    {
        var options = Options(methodName);
        var config = s.Quick
            ? new TransformerConfig { VocabSize = 1000, HiddenSize = 32, NumLayers = 2, NumHeads = 4, IntermediateSize = 37, MaxPositionEmbeddings = 64 }
            : new TransformerConfig(); // bert-base: 12 layers, hidden 768, 12 heads, intermediate 3072
        manual_seed(0);
        var peft = new PeftModel(options, config.ModelType);
        var encoder = EncoderFactory.Create(config, peft.Projection);
        var head = new PooledLinearClassifier(config, 2);
        peft.Attach(encoder, head);
        encoder.train(); head.train();
        var optimizer = optim.AdamW(peft.TrainableParameters(), lr: 1e-4);

        int realTokens = Math.Min(s.SequenceLength, config.MaxPositionEmbeddings - peft.VirtualTokens);
        var ids = randint(5, config.VocabSize, new long[] { s.Batch, realTokens }, dtype: ScalarType.Int64);
        var mask = ones(s.Batch, realTokens, ScalarType.Int64);
        var labels = randint(0, 2, new long[] { s.Batch }, dtype: ScalarType.Int64);
        var times = new List<double>();
        for (int step = 0; step < s.Warmup + s.Steps; step++)
        {
            var clock = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                var logits = head.Forward(encoder.Forward(peft.PrepareInput(new EncoderInput(mask, ids))));
                var loss = nn.functional.cross_entropy(logits, labels);
                loss.backward();
                optimizer.step();
            }
            if (step >= s.Warmup) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        var report = peft.ParameterReport();
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["method"] = methodName,
            ["model"] = s.Quick ? "tiny (quick)" : "bert-base config, random init",
            ["batch"] = s.Batch,
            ["seq_len"] = realTokens + peft.VirtualTokens,
            ["steps"] = s.Steps,
            ["median_step_ms"] = Math.Round(times[times.Count / 2], 1),
            ["min_step_ms"] = Math.Round(times[0], 1),
            ["trainable_params"] = report.Trainable,
            ["all_params"] = report.All,
            ["peak_rss_mb"] = ProcessMemory.PeakRssMb(),
            ["torch_threads"] = get_num_threads(),
        });
    }

    static PeftOptions Options(string method) => method switch
    {
        "full" => new() { Method = PeftMethod.Full },
        "headonly" => new() { Method = PeftMethod.HeadOnly },
        "bitfit" => new() { Method = PeftMethod.BitFit },
        "lora" => new() { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 8, Alpha = 16 } },
        "houlsby" => new() { Method = PeftMethod.Houlsby },
        "pfeiffer" => new() { Method = PeftMethod.Pfeiffer },
        "prompt" => new() { Method = PeftMethod.PromptTuning, PromptTuning = new PromptTuningOptions { NumVirtualTokens = 20 } },
        _ => throw new ArgumentException($"Unknown method '{method}' (full, headonly, bitfit, lora, houlsby, pfeiffer, prompt)."),
    };
}
