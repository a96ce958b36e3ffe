using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace MLNet.FineTune.Benchmarks;

/// <summary>One GLUE MRPC row: Quality, #1 ID, #2 ID, #1 String, #2 String.</summary>
public sealed class MrpcRow
{
    [LoadColumn(0)] public bool Label { get; set; }
    [LoadColumn(3)] public string Text { get; set; } = "";
    [LoadColumn(4)] public string Text2 { get; set; } = "";
}

/// <summary>
/// Sentence-pair quality on GLUE MRPC (paraphrase; train 3,668, dev 408): ML.NET's FeaturizeText on both sentences +
/// SdcaLogisticRegression, or FineTune on the pair; dev accuracy and F1 of the positive class (GLUE's MRPC metrics).
/// </summary>
public static class PairsBenchmark
{
    const string Folder = "/work/shared/data/mrpc";

    public static List<MrpcRow> Rows(MLContext ml, string file) => ml.Data.CreateEnumerable<MrpcRow>(
        ml.Data.LoadFromTextFile<MrpcRow>(Path.Combine(Folder, file), separatorChar: '\t', hasHeader: true, allowQuoting: false), false)
        .Where(r => r.Text.Length > 0 && r.Text2.Length > 0).ToList();

    public static string Run(string system, string[] args)
    {
        var ml = new MLContext(seed: 1);
        var trainRows = Rows(ml, "train.tsv");
        int rows = Flags.Int(args, "--rows", 0);
        if (rows > 0) trainRows = trainRows.Take(rows).ToList();
        var train = ml.Data.LoadFromEnumerable(trainRows);
        var dev = ml.Data.LoadFromEnumerable(Rows(ml, "dev.tsv"));
        IEstimator<ITransformer> pipeline;
        object hyper;
        int epochs = 1;
        if (system == "baseline")
        {
            pipeline = ml.Transforms.Text.FeaturizeText("F1", "Text").Append(ml.Transforms.Text.FeaturizeText("F2", "Text2"))
                .Append(ml.Transforms.Concatenate("Features", "F1", "F2")).Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression());
            hyper = "FeaturizeText on each sentence (defaults) + Concatenate + SdcaLogisticRegression (defaults)";
        }
        else if (system == "finetune")
        {
            torch.set_num_threads(2);
            var settings = FineTuneSettings.Parse(args, defaultMaxLength: 128);
            pipeline = ml.Transforms.FineTune(settings.Options() with { SecondTextColumnName = "Text2" });
            hyper = settings.Describe();
            epochs = settings.Training.Epochs;
        }
        else throw new ArgumentException($"Unknown mrpc system '{system}' (baseline, finetune).");

        var clock = Stopwatch.StartNew();
        var model = pipeline.Fit(train);
        double fitSeconds = clock.Elapsed.TotalSeconds;
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(dev));
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mode"] = "mrpc", ["system"] = system, ["train_rows"] = trainRows.Count, ["dev_rows"] = 408,
            ["dev_accuracy"] = Math.Round(metrics.Accuracy, 4), ["dev_f1"] = Math.Round(metrics.F1Score, 4),
            ["fit_s"] = Math.Round(fitSeconds, 1), ["train_examples_per_s"] = Math.Round(trainRows.Count * (double)epochs / fitSeconds, 1),
            ["hyperparameters"] = hyper, ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
        });
    }
}
