using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using TorchSharp;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// SST-2 quality: ML.NET's FeaturizeText + SdcaLogisticRegression baseline, or FineTune with the built-in model trained
/// from scratch (no pretrained checkpoint), on a train subset; accuracy on the 872-row dev set.
/// </summary>
public static class Sst2Benchmark
{
    public static string Run(string system, string[] args)
    {
        int rows = Flags.Int(args, "--rows", 8000);
        var ml = new MLContext(seed: 1);
        // --train-file: a subset written elsewhere (e.g. the exact rows Hugging Face's train.py --train-rows N uses).
        var trainFile = Flags.String(args, "--train-file", "");
        var train = trainFile.Length > 0 ? SentimentData.LoadFile(ml, trainFile) : SentimentData.TrainSubset(ml, rows);
        if (trainFile.Length > 0) rows = (int)train.GetRowCount()!.Value;
        var dev = SentimentData.Load(ml, "dev.tsv");
        var hyper = new Dictionary<string, object>();
        IEstimator<ITransformer> pipeline;
        if (system == "baseline")
        {
            pipeline = ml.Transforms.Text.FeaturizeText("Features", "Text")
                .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression());
            hyper["pipeline"] = "FeaturizeText (defaults: word 1-2 grams + char 1-3 grams, L2-normalised) + SdcaLogisticRegression (defaults)";
        }
        else if (system == "finetune")
        {
            torch.set_num_threads(2);
            var settings = FineTuneSettings.Parse(args, defaultMaxLength: 64);
            pipeline = ml.Transforms.FineTune(settings.Options());
            hyper = settings.Describe();
        }
        else throw new ArgumentException($"Unknown sst2 system '{system}' (baseline, finetune).");

        using var rss = Flags.Bool(args, "--rss-trace") ? new RssTrace() : null; // issue #17: no growth over 500 steps
        var clock = Stopwatch.StartNew();
        var model = pipeline.Fit(train);
        double fitSeconds = clock.Elapsed.TotalSeconds;
        rss?.Dispose();
        clock.Restart();
        double accuracy = SentimentData.Accuracy(ml, model.Transform(dev));
        double devSeconds = clock.Elapsed.TotalSeconds;
        int epochs = hyper.TryGetValue("epochs", out var e) ? (int)e : 1;
        // --max-steps ends the fit early: count the examples of the steps taken, not the epochs asked for.
        double examples = rows * (double)epochs;
        if (Flags.Int(args, "--max-steps", 0) is > 0 and var maxSteps && hyper.TryGetValue("batch", out var b))
            examples = Math.Min(examples, maxSteps * (double)(int)b);
        var result = new Dictionary<string, object>
        {
            ["mode"] = "sst2",
            ["system"] = system,
            ["train_rows"] = rows,
            ["train_file"] = trainFile.Length > 0 ? trainFile : "train.tsv, seeded subset",
            ["dev_rows"] = 872,
            ["dev_accuracy"] = Math.Round(accuracy, 4),
            ["fit_s"] = Math.Round(fitSeconds, 1),
            ["train_examples_per_s"] = Math.Round(examples / fitSeconds, 1),
            ["dev_score_s"] = Math.Round(devSeconds, 2),
            ["hyperparameters"] = hyper,
            ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
            ["phase_ms_per_step"] = model is FineTuneTransformer { History.PhaseTimes: { } times }
                ? Enum.GetValues<MLNet.FineTune.Training.StepPhase>().ToDictionary(p => p.ToString(), p => Math.Round(times.MillisecondsPerStep(p), 1))
                : new Dictionary<string, double>(),
            ["steps"] = model is FineTuneTransformer ft ? ft.History.GlobalStep : 0,
        };
        if (rss is not null) foreach (var (key, value) in rss.Report()) result[key] = value;
        return JsonSerializer.Serialize(result);
    }
}
