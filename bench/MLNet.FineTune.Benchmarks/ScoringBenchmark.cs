using MLNet.FineTune.Modeling;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Production scoring of a saved and reloaded model: Transform throughput over 2000 SST-2 texts and PredictionEngine
/// single-sentence latency (p50/p99 of 500 calls after 20 warm-up calls). FineTune uses a bert-mini-sized built-in model
/// (hidden 256, 4 layers, 4 heads, FFN 1024) trained for a few steps only: speed, not quality, is measured here.
/// </summary>
public static class ScoringBenchmark
{
    const int Rows = 2000, Calls = 500, WarmupCalls = 20;

    /// <param name="system">baseline (ML.NET), finetune (bert-mini-sized built-in model) or minilm (pretrained all-MiniLM-L6-v2).</param>
    /// <param name="textsFile">Optional TSV (sentence, label) whose first 2000 rows are scored instead of a seeded train subset.</param>
    public static string Run(string system, string? textsFile = null)
    {
        var trainMl = new MLContext(seed: 1);
        IDataView Texts(MLContext ml) => textsFile is null ? SentimentData.TrainSubset(ml, Rows) : ml.Data.TakeRows(SentimentData.LoadFile(ml, textsFile), Rows);
        var train = Texts(trainMl);
        IEstimator<ITransformer> pipeline = system switch
        {
            "baseline" => trainMl.Transforms.Text.FeaturizeText("Features", "Text").Append(trainMl.BinaryClassification.Trainers.SdcaLogisticRegression()),
            "finetune" => trainMl.Transforms.FineTune(new FineTuneOptions
            {
                BuiltInModel = new BuiltInModelOptions { HiddenSize = 256, Layers = 4, AttentionHeads = 4, IntermediateSize = 1024 },
                Training = FineTuneDefaults.ForBuiltInModel with { MaxSteps = 10, LoggingSteps = 1_000_000 },
            }),
            "minilm" => trainMl.Transforms.FineTune(new FineTuneOptions
            {
                BaseModel = MLNet.FineTune.Pretrained.PretrainedModels.AllMiniLmL6V2,
                Training = FineTuneDefaults.ForCheckpoint with { MaxSteps = 5, LoggingSteps = 1_000_000 },
            }),
            _ => throw new ArgumentException($"Unknown scoring system '{system}' (baseline, finetune, minilm)."),
        };
        if (system != "baseline") torch.set_num_threads(2);
        string path = Path.Combine(Path.GetTempPath(), $"mlnet-finetune-scoring-{system}-{Environment.ProcessId}.zip");
        trainMl.Model.Save(pipeline.Fit(train), train.Schema, path);

        var ml = new MLContext();
        var model = ml.Model.Load(path, out _);
        File.Delete(path);
        var texts = Texts(ml);

        SentimentData.Accuracy(ml, model.Transform(ml.Data.TakeRows(texts, 64))); // warm-up
        var clock = Stopwatch.StartNew();
        int scored = ml.Data.CreateEnumerable<BinaryPrediction>(model.Transform(texts), reuseRowObject: true).Count();
        double transformSeconds = clock.Elapsed.TotalSeconds;

        var engine = ml.Model.CreatePredictionEngine<Sst2Row, BinaryPrediction>(model);
        var sentences = SentimentData.Rows(ml, "dev.tsv");
        var latencies = PredictLatency.Measure(engine, sentences, WarmupCalls, Calls);
        var fineTune = model as FineTuneTransformer ?? (model as TransformerChain<ITransformer>)?.OfType<FineTuneTransformer>().SingleOrDefault();
        var stages = fineTune is null ? new Dictionary<string, double>()
            : SingleRowProfile.Measure(fineTune, sentences.Select(s => s.Text).ToList(), WarmupCalls, Calls);
        var result = new Dictionary<string, object>
        {
            ["mode"] = "scoring",
            ["system"] = system,
            ["transform_rows"] = scored,
            ["transform_rows_per_s"] = Math.Round(scored / transformSeconds, 1),
            ["predict_calls"] = Calls,
            ["predict_p50_ms"] = Math.Round(Stats.Percentile(latencies, 50), 3),
            ["predict_p99_ms"] = Math.Round(Stats.Percentile(latencies, 99), 3),
            ["torch_threads"] = torch.get_num_threads(),
            ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
        };
        foreach (var (stage, ms) in stages) result["single_" + stage] = ms;
        return JsonSerializer.Serialize(result);
    }
}
