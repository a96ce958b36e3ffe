using System.Diagnostics;
using System.Text.Json;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// One training step of bench.py's "full"/"lora" workload with the library's own pieces: encoder + tanh pooler + 2-class
/// head, <see cref="AdamW"/> (lr 2e-5, wd 0.01, Hugging Face decay groups), cross-entropy, one dispose scope per step and
/// <see cref="NativeMemory.Trim"/> every --trim steps (default: as <c>Trainer</c>). BENCH_FINALIZERS=1 prints the objects left to the finalizer per phase. No gradient clipping (bench.py has none).
/// </summary>
public static class TrainStepBenchmark
{
    public static string Run(string method, int warmup, int steps, int trimEvery = 1)
    {
        set_num_threads(2);
        manual_seed(0);
        var options = method switch
        {
            "full" => new PeftOptions { Method = PeftMethod.Full },
            "lora" => new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 8, Alpha = 16 } },
            _ => throw new ArgumentException($"Unknown train method '{method}' (full, lora)."),
        };
        var config = ReferenceWorkload.Config;
        var peft = new PeftModel(options, config.ModelType);
        var encoder = EncoderFactory.Create(config, peft.Projection);
        var head = new PooledLinearClassifier(config, ReferenceWorkload.Classes);
        peft.Attach(encoder, head);
        encoder.train(); head.train();
        var trainable = peft.NamedParameters().Where(p => p.Parameter.requires_grad).ToList();
        using var optimizer = new AdamW(ParameterGroups.ForTransformer(trainable, ReferenceWorkload.WeightDecay), ReferenceWorkload.LearningRate);
        var (input, labels) = ReferenceWorkload.MakeBatch(ReferenceWorkload.Batch, ReferenceWorkload.SequenceLength);

        using var finalizers = Environment.GetEnvironmentVariable("BENCH_FINALIZERS") == "1" ? new FinalizedObjectCounter() : null;
        var times = new List<double>();
        var forwardMs = new List<double>(); var backwardMs = new List<double>(); var optimizerMs = new List<double>();
        var rssEvery10 = new List<double>();
        double rssStep20 = -1, rssFirst = -1, loss = double.NaN;
        int gcBefore = 0, gen2Before = 0;
        using var heap = NativeMemory.RetainHeap(); // as the Trainer's loop does
        for (int step = 0; step < warmup + steps; step++)
        {
            if (step == warmup) { gcBefore = GC.CollectionCount(0); gen2Before = GC.CollectionCount(2); }
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                optimizer.ZeroGrad();
                var phase = Stopwatch.StartNew();
                var lossTensor = nn.functional.cross_entropy(head.Forward(encoder.Forward(input)), labels);
                double f = phase.Elapsed.TotalMilliseconds;
                if (finalizers is not null) Console.Error.WriteLine($"step {step} forward: {finalizers.Settle()}");
                lossTensor.backward();
                double b = phase.Elapsed.TotalMilliseconds;
                if (finalizers is not null) Console.Error.WriteLine($"step {step} backward: {finalizers.Settle()}");
                optimizer.Step();
                double o = phase.Elapsed.TotalMilliseconds;
                if (finalizers is not null) Console.Error.WriteLine($"step {step} optimizer: {finalizers.Settle()}");
                if (step >= warmup) { forwardMs.Add(f); backwardMs.Add(b - f); optimizerMs.Add(o - b); }
                if (step == warmup + steps - 1) loss = lossTensor.item<float>();
            }
            if (trimEvery > 0 && (step + 1) % trimEvery == 0) NativeMemory.Trim();
            double ms = clock.Elapsed.TotalMilliseconds;
            int measured = step - warmup + 1; // 1-based index of a measured step
            if (measured >= 1 && measured <= 20) times.Add(ms);
            if (measured == 1) rssFirst = ProcessMemory.CurrentRssMb();
            if (measured == 20) rssStep20 = ProcessMemory.CurrentRssMb();
            if (measured >= 1 && measured % 10 == 0) rssEvery10.Add(ProcessMemory.CurrentRssMb());
        }
        if (finalizers is not null)
        {
            GC.Collect(); GC.WaitForPendingFinalizers(); Thread.Sleep(500);
            Console.Error.WriteLine($"finalized after the run: {finalizers.Settle()}");
        }
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["impl"] = "mlnet-finetune",
            ["mode"] = method,
            ["threads"] = get_num_threads(),
            ["trainable_params"] = trainable.Sum(p => p.Parameter.numel()),
            ["all_params"] = peft.NamedParameters().Sum(p => p.Parameter.numel()),
            ["steps"] = steps,
            ["step_ms"] = Math.Round(Stats.Median(times), 2),
            ["step_ms_each"] = times.Select(t => Math.Round(t)).ToArray(), // spread: uniformly slow = machine, spikes = interference
            ["gc_collections"] = GC.CollectionCount(0) - gcBefore, // during the measured steps (gen 0, which counts every GC)
            ["gc_gen2_collections"] = GC.CollectionCount(2) - gen2Before,
            ["forward_ms"] = Math.Round(Stats.Median(forwardMs), 2),
            ["backward_ms"] = Math.Round(Stats.Median(backwardMs), 2),
            ["optimizer_ms"] = Math.Round(Stats.Median(optimizerMs), 2),
            ["trim_every"] = trimEvery,
            ["loss"] = Math.Round(loss, 4),
            ["rss_first_step_mib"] = rssFirst,
            ["rss_step20_mib"] = rssStep20,
            ["rss_last_step_mib"] = ProcessMemory.CurrentRssMb(),
            ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
            ["rss_every_10_steps_mib"] = rssEvery10,
        });
    }
}
