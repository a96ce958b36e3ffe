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
        int rows = Flag(args, "--rows", 8000);
        var ml = new MLContext(seed: 1);
        var train = SentimentData.TrainSubset(ml, rows);
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
            var builtIn = new BuiltInModelOptions
            {
                HiddenSize = Flag(args, "--hidden", 128), Layers = Flag(args, "--layers", 2),
                AttentionHeads = Flag(args, "--heads", 2), IntermediateSize = Flag(args, "--ffn", 512),
            };
            var training = FineTuneDefaults.ForBuiltInModel with
            {
                Epochs = Flag(args, "--epochs", 3),
                LearningRate = FlagDouble(args, "--lr", FineTuneDefaults.ForBuiltInModel.LearningRate),
                LoggingSteps = 1_000_000,
                Seed = Flag(args, "--seed", FineTuneDefaults.ForBuiltInModel.Seed),
            };
            var options = new FineTuneOptions { MaxSequenceLength = Flag(args, "--maxlen", 64), BuiltInModel = builtIn, Training = training };
            pipeline = ml.Transforms.FineTune(options);
            hyper["built_in_model"] = builtIn;
            hyper["max_seq_len"] = options.MaxSequenceLength;
            hyper["epochs"] = training.Epochs;
            hyper["lr"] = training.LearningRate;
            hyper["batch"] = training.BatchSize;
            hyper["warmup_ratio"] = training.WarmupRatio;
            hyper["weight_decay"] = training.WeightDecay;
            hyper["seed"] = training.Seed;
        }
        else throw new ArgumentException($"Unknown sst2 system '{system}' (baseline, finetune).");

        var clock = Stopwatch.StartNew();
        var model = pipeline.Fit(train);
        double fitSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        double accuracy = SentimentData.Accuracy(ml, model.Transform(dev));
        double devSeconds = clock.Elapsed.TotalSeconds;
        int epochs = hyper.TryGetValue("epochs", out var e) ? (int)e : 1;
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mode"] = "sst2",
            ["system"] = system,
            ["train_rows"] = rows,
            ["dev_rows"] = 872,
            ["dev_accuracy"] = Math.Round(accuracy, 4),
            ["fit_s"] = Math.Round(fitSeconds, 1),
            ["train_examples_per_s"] = Math.Round(rows * (double)epochs / fitSeconds, 1),
            ["dev_score_s"] = Math.Round(devSeconds, 2),
            ["hyperparameters"] = hyper,
            ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
        });
    }

    internal static int Flag(string[] args, string flag, int fallback)
    {
        int i = Array.IndexOf(args, flag);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }

    static double FlagDouble(string[] args, string flag, double fallback)
    {
        int i = Array.IndexOf(args, flag);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
