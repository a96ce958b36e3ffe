using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using MLNet.FineTune.Data;
using MLNet.FineTune.Evaluation;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Onnx;
using TorchSharp;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// NER quality and speed: FineTune with the built-in model trained from scratch (no pretrained checkpoint) and a
/// TokenClassificationHead on the train split of CoNLL-2003 or WikiANN; entity-level P/R/F1 (seqeval default mode) on
/// the test split. Tagging every word "O" (the majority tag) finds no entity, so the majority baseline's F1 is 0.
/// </summary>
public static class NerBenchmark
{
    public static string Run(string dataset, string[] args)
    {
        torch.set_num_threads(2);
        var ml = new MLContext(seed: 1);
        var trainSentences = NerData.Subset(NerData.Load(dataset, "train"), Flags.Int(args, "--rows", 0));
        var testSentences = NerData.Subset(NerData.Load(dataset, "test"), Flags.Int(args, "--test-rows", 0));
        var settings = FineTuneSettings.Parse(args, defaultMaxLength: 128);
        var train = trainSentences.ToDataView(ml, ConllColumns.TextAndTags);

        var clock = Stopwatch.StartNew();
        var model = ml.Transforms.FineTune(settings.Options(new TokenClassificationHead())).Fit(train);
        double fitSeconds = clock.Elapsed.TotalSeconds;

        var scored = ScoredColumns.Score(ml, model, testSentences.ToDataView(ml, ConllColumns.Text), new[] { "PredictedTags" }, Array.Empty<string>());
        var report = Evaluate(ml, testSentences.Select(s => s.Tags).ToList(), scored.Tags["PredictedTags"]);
        var result = new Dictionary<string, object?>
        {
            ["mode"] = "ner",
            ["dataset"] = dataset,
            ["train_rows"] = trainSentences.Count,
            ["test_rows"] = testSentences.Count,
        };
        foreach (var (key, value) in Describe(report)) result[key] = value;
        result["fit_s"] = Math.Round(fitSeconds, 1);
        result["train_examples_per_s"] = Math.Round(trainSentences.Count * (double)settings.Training.Epochs / fitSeconds, 1);
        result["test_score_s"] = Math.Round(scored.Seconds, 2);
        result["hyperparameters"] = settings.Describe();
        result["peak_rss_mib"] = ProcessMemory.PeakRssMb();
        if (Flags.String(args, "--onnx-int8", "") is { Length: > 0 } folder)
            result["onnx"] = OnnxF1(ml, (FineTuneTransformer)model, testSentences, folder);
        return JsonSerializer.Serialize(result);
    }

    /// <summary>
    /// Entity F1 of the same fitted model exported to ONNX as fp32 and as each int8 plan (docs/onnx-int8.md), scored by
    /// MLNet.FineTune.Onnx on the same test sentences; the files are left in <paramref name="folder"/> with their sizes reported.
    /// </summary>
    static Dictionary<string, object?> OnnxF1(MLContext ml, FineTuneTransformer model, List<ConllSentence> test, string folder)
    {
        Directory.CreateDirectory(folder);
        var gold = test.Select(s => s.Tags).ToList();
        var texts = test.ToDataView(ml, ConllColumns.Text);
        var results = new Dictionary<string, object?>();
        foreach (var plan in new Export.Int8Plan?[] { null, Export.Int8Plan.All, Export.Int8Plan.Default, new(true, true, 1) })
        {
            string name = plan is null ? "fp32" : "int8-" + plan.Name, path = Path.Combine(folder, $"ner-{name}.onnx");
            Export.OnnxExport.Save(model.BuildOnnx(quantize: plan is not null, plan), path);
            using var scorer = ml.Model.LoadFineTuneOnnx(path);
            var tags = ScoredColumns.Score(ml, scorer, texts, new[] { "PredictedTags" }, Array.Empty<string>()).Tags["PredictedTags"];
            var report = Evaluate(ml, gold, tags);
            results[name] = new Dictionary<string, object?> { ["micro_f1"] = Round(report.Micro.F1), ["token_accuracy"] = Round(report.Accuracy), ["onnx_mb"] = Math.Round(new FileInfo(path).Length / 1e6, 1) };
            Console.Error.WriteLine($"{name}: {JsonSerializer.Serialize(results[name])}");
        }
        return results;
    }

    /// <summary>
    /// seqeval scores of predicted tags against the gold tags, through the library's EntityEvaluator (which also pads
    /// rows cut by MaxSequenceLength with "O", as it does on a scored data view).
    /// </summary>
    public static SeqevalReport Evaluate(MLContext ml, IReadOnlyList<string[]> gold, IReadOnlyList<string[]> predicted)
    {
        var rows = gold.Zip(predicted, (g, p) => new TaggedRow { Tags = string.Join(' ', g), PredictedTags = p });
        return EntityEvaluator.Evaluate(ml.Data.LoadFromEnumerable(rows));
    }

    /// <summary>The report's figures as result-line fields (rounded to 4 digits; null for NaN, e.g. macro F1 with no entities).</summary>
    public static Dictionary<string, object?> Describe(SeqevalReport report) => new()
    {
        ["micro_precision"] = Round(report.Micro.Precision),
        ["micro_recall"] = Round(report.Micro.Recall),
        ["micro_f1"] = Round(report.Micro.F1),
        ["macro_f1"] = Round(report.Macro.F1),
        ["token_accuracy"] = Round(report.Accuracy),
        ["per_type"] = report.PerType.ToDictionary(s => s.Type, s => new Dictionary<string, object?>
        {
            ["precision"] = Round(s.Precision), ["recall"] = Round(s.Recall),
            ["f1"] = Round(s.F1), ["support"] = s.Support,
        }),
    };

    static object? Round(double value) => double.IsNaN(value) ? null : Math.Round(value, 4);

    sealed class TaggedRow
    {
        public string Tags { get; set; } = "";
        public string[] PredictedTags { get; set; } = Array.Empty<string>();
    }
}
