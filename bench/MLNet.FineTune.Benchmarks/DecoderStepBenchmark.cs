using System.Diagnostics;
using System.Text.Json;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// One causal-LM training step of <see cref="DecoderWorkload"/> as the library runs it: <see cref="Trainer{TBatch}"/>
/// driving <see cref="CausalLmTrainingModel"/> (AdamW lr 5e-5, weight decay 0.01 except biases and norms, constant
/// schedule, gradient clipping at 1.0, as transformers' Trainer defaults), batch 8 × 128, all-token labels except
/// padding. Step time is the wall time between the trainer's progress reports; the phase means come from the trainer's
/// own <see cref="StepPhaseTimes"/> (they include the warm-up steps). bench/decoder_reference.py is the PyTorch side.
/// </summary>
public static class DecoderStepBenchmark
{
    public static string Run(string model, string method, int warmup, int steps)
    {
        set_num_threads(2);
        bool lora = method switch
        {
            "full" => false,
            "lora" => true,
            _ => throw new ArgumentException($"Unknown decoder-step method '{method}' (full, lora)."),
        };
        var decoder = DecoderWorkload.Create(model, lora);
        var config = decoder.Config;
        var (ids, mask, labels) = DecoderWorkload.MakeBatch(config, DecoderWorkload.Batch, DecoderWorkload.SequenceLength);
        var source = new ListBatchSource<int, CausalLmBatch>(new[] { 0 }, _ => DecoderWorkload.SequenceLength,
            _ => new CausalLmBatch(ids.clone(), mask.clone(), labels.clone()));
        var options = new TrainingOptions
        {
            LearningRate = DecoderWorkload.LearningRate, WeightDecay = DecoderWorkload.WeightDecay, MaxGradNorm = DecoderWorkload.MaxGradNorm,
            Schedule = LearningRateScheduleKind.Constant, BatchSize = 1, MaxSteps = warmup + steps, Shuffle = false,
            EvaluationStrategy = EvaluationStrategy.No, LoadBestModelAtEnd = false, LoggingSteps = int.MaxValue,
        };
        var probe = new StepClock(warmup);
        double rssBefore = ProcessMemory.CurrentRssMb();
        var history = new Trainer<CausalLmBatch>(options, probe).Train(new CausalLmTrainingModel(decoder), source);
        var parameters = decoder.Module.parameters().ToList();
        var times = history.PhaseTimes!;
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["impl"] = "mlnet-finetune",
            ["model"] = model,
            ["mode"] = method,
            ["threads"] = get_num_threads(),
            ["batch"] = $"{DecoderWorkload.Batch}x{DecoderWorkload.SequenceLength}",
            ["params"] = parameters.Sum(p => p.numel()),
            ["trainable_params"] = parameters.Where(p => p.requires_grad).Sum(p => p.numel()),
            ["warmup"] = warmup,
            ["steps"] = steps,
            ["step_ms"] = Math.Round(Stats.Median(probe.StepMs), 1),
            ["step_ms_all"] = probe.StepMs.Select(t => Math.Round(t, 1)).ToArray(),
            ["phase_mean_ms"] = Enum.GetValues<StepPhase>().ToDictionary(p => p.ToString().ToLowerInvariant(), p => Math.Round(times.MillisecondsPerStep(p), 1)),
            ["loss_first"] = Math.Round(history.Steps[0].Loss, 4),
            ["loss_last"] = Math.Round(history.Steps[^1].Loss, 4),
            ["rss_before_training_mib"] = rssBefore,
            ["rss_last_step_mib"] = ProcessMemory.CurrentRssMb(),
            ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
        });
    }

    /// <summary>Wall time between progress reports (the trainer reports synchronously after each optimizer step).</summary>
    sealed class StepClock(int warmup) : IProgress<FineTuneProgress>
    {
        readonly Stopwatch clock = Stopwatch.StartNew();
        int reports;
        public List<double> StepMs { get; } = new();

        public void Report(FineTuneProgress value)
        {
            if (value.EvalMetrics is not null) return;
            double ms = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            if (++reports > warmup) StepMs.Add(ms);
        }
    }
}
