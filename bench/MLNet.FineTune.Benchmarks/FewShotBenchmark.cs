using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Pretrained;
using TorchSharp;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Few-shot SST-2: N labelled examples per class (balanced, seeded draws from train.tsv, <see cref="FewShotData"/>),
/// accuracy on the full 872-row dev set. Methods: mlnet (FeaturizeText + SdcaMaximumEntropy), frozen (MiniLM embeddings
/// + LbfgsMaximumEntropy; the dev set is embedded once per process), finetune (full fine-tuning of MiniLM), setfit
/// (SetFit with MiniLM: contrastive body training on generated pairs, then LbfgsMaximumEntropy on its embeddings).
/// One JSON line per (size, draw), then one summary line per size over the draws this process ran.
/// </summary>
public static class FewShotBenchmark
{
    /// <summary>Few-shot full fine-tuning defaults (flags override): enough steps on 16–128 examples to fit them.</summary>
    static readonly string[] FineTuneDefaults = ["--model", "minilm", "--epochs", "20", "--batch", "8", "--lr", "1e-4", "--warmup", "0.1", "--maxlen", "64"];

    public static IEnumerable<string> Run(string method, string[] args)
    {
        var sizes = Flags.String(args, "--sizes", "8,16,64").Split(',').Select(int.Parse).ToArray();
        int firstDraw = Flags.Int(args, "--draw-from", 0), draws = Flags.Int(args, "--draws", 10);
        int minWords = Flags.Int(args, "--min-words", 0);
        torch.set_num_threads(Flags.Int(args, "--threads", 2));
        var ml = new MLContext(seed: 1);
        var data = FewShotData.Load(ml, minWords);
        var fit = Method(ml, method, args, data.Dev, out var hyper);
        foreach (int perClass in sizes)
        {
            var accuracies = new List<double>();
            for (int draw = firstDraw; draw < firstDraw + draws; draw++)
            {
                var train = data.Draw(perClass, draw);
                if (args.Contains("--show-draws")) foreach (var r in train) Console.Error.WriteLine($"{perClass}/{draw}\t{r.Label}\t{r.Text}");
                var clock = Stopwatch.StartNew();
                double accuracy = fit(train, draw);
                accuracies.Add(accuracy);
                yield return JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["mode"] = "fewshot", ["method"] = method, ["per_class"] = perClass, ["draw"] = draw,
                    ["draw_seed"] = FewShotData.Seed(perClass, draw), ["train_rows"] = train.Count, ["min_words"] = minWords,
                    ["dev_rows"] = data.Dev.Count, ["dev_accuracy"] = Math.Round(accuracy, 4),
                    ["fit_and_score_s"] = Math.Round(clock.Elapsed.TotalSeconds, 1), ["hyperparameters"] = hyper,
                    ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
                });
            }
            yield return Summary(method, perClass, accuracies, $"draws {firstDraw}..{firstDraw + draws - 1}");
        }
    }

    /// <summary>Mean and sample standard deviation (n-1) of dev accuracies over draws.</summary>
    public static string Summary(string method, int perClass, IReadOnlyList<double> accuracies, string draws)
    {
        double mean = accuracies.Average();
        double std = accuracies.Count > 1 ? Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / (accuracies.Count - 1)) : 0;
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mode"] = "fewshot-summary", ["method"] = method, ["per_class"] = perClass, ["draws"] = accuracies.Count,
            ["which"] = draws, ["mean_accuracy"] = Math.Round(mean, 4), ["std_accuracy"] = Math.Round(std, 4),
            ["min"] = Math.Round(accuracies.Min(), 4), ["max"] = Math.Round(accuracies.Max(), 4),
        });
    }

    /// <summary>Reads result files (JSON lines of fewshot runs, other lines ignored) and summarises per method and size.</summary>
    public static IEnumerable<string> Summarise(IEnumerable<string> files)
    {
        var runs = new Dictionary<(string Method, int PerClass), SortedDictionary<int, double>>();
        foreach (var line in files.SelectMany(File.ReadLines))
        {
            if (!line.StartsWith('{')) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.GetProperty("mode").GetString() != "fewshot") continue;
            var key = (root.GetProperty("method").GetString()!, root.GetProperty("per_class").GetInt32());
            if (!runs.TryGetValue(key, out var byDraw)) runs[key] = byDraw = new();
            byDraw[root.GetProperty("draw").GetInt32()] = root.GetProperty("dev_accuracy").GetDouble();   // a rerun of a draw replaces it
        }
        foreach (var ((method, perClass), byDraw) in runs.OrderBy(r => r.Key.PerClass).ThenBy(r => r.Key.Method))
            yield return Summary(method, perClass, byDraw.Values.ToList(), string.Join(",", byDraw.Keys));
    }

    static Func<List<FewShotRow>, int, double> Method(MLContext ml, string method, string[] args, IReadOnlyList<FewShotRow> dev,
        out Dictionary<string, object> hyper)
    {
        var devView = ml.Data.LoadFromEnumerable(dev);
        switch (method)
        {
            case "mlnet":
                hyper = new() { ["pipeline"] = "FeaturizeText (defaults) + MapValueToKey + SdcaMaximumEntropy (defaults)" };
                return (train, _) =>
                {
                    var pipeline = ml.Transforms.Text.FeaturizeText("Features", "Text")
                        .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
                        .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy());
                    return FewShotData.Accuracy(ml, pipeline.Fit(ml.Data.LoadFromEnumerable(train)).Transform(devView), dev);
                };
            case "frozen":
                return FrozenEmbeddings(ml, args, dev, out hyper);
            case "finetune":
                var settings = FineTuneSettings.Parse(args.Concat(FineTuneDefaults).ToArray(), defaultMaxLength: 64);
                hyper = settings.Describe();
                return (train, _) =>
                {
                    var model = ml.Transforms.FineTune(settings.Options()).Fit(ml.Data.LoadFromEnumerable(train));
                    return FewShotData.Accuracy(ml, model.Transform(devView), dev);
                };
            case "setfit":
                var setFit = new SetFitOptions
                {
                    BaseModel = PretrainedModels.AllMiniLmL6V2,
                    NumIterations = Flags.Int(args, "--iterations", 20),
                    MaxSequenceLength = Flags.Int(args, "--maxlen", 64),
                    Head = Flags.String(args, "--head", "logistic") == "differentiable" ? SetFitHead.Differentiable : SetFitHead.LogisticRegression,
                    DifferentiableHead = new() { EndToEnd = args.Contains("--end-to-end") },
                    Training = SetFitDefaults.Body with
                    {
                        LearningRate = Flags.Double(args, "--lr", SetFitDefaults.Body.LearningRate),
                        BatchSize = Flags.Int(args, "--batch", SetFitDefaults.Body.BatchSize),
                        Epochs = Flags.Int(args, "--epochs", SetFitDefaults.Body.Epochs),
                        LoggingSteps = 1_000_000,
                    },
                };
                hyper = new()
                {
                    ["base_model"] = "sentence-transformers/all-MiniLM-L6-v2", ["num_iterations"] = setFit.NumIterations!,
                    ["loss"] = setFit.Loss.ToString(), ["head"] = setFit.Head.ToString() + (setFit.Head == SetFitHead.Differentiable && setFit.DifferentiableHead.EndToEnd ? " (end to end)" : ""), ["max_seq_len"] = setFit.MaxSequenceLength!,
                    ["lr"] = setFit.Training.LearningRate, ["batch"] = setFit.Training.BatchSize, ["epochs"] = setFit.Training.Epochs,
                    ["warmup_ratio"] = setFit.Training.WarmupRatio, ["seed"] = "42 + draw",
                };
                return (train, draw) =>
                {
                    var model = ml.MulticlassClassification.Trainers.SetFit(setFit with { Seed = 42 + draw }).Fit(ml.Data.LoadFromEnumerable(train));
                    return FewShotData.Accuracy(ml, model.Transform(devView), dev);
                };
            default:
                throw new ArgumentException($"Unknown fewshot method '{method}' (mlnet, frozen, finetune, setfit).");
        }
    }

    sealed class EmbeddedRow
    {
        public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    /// <summary>MiniLM embeddings (mean pooling, L2) computed directly: the dev set once, each draw's examples per draw.</summary>
    static Func<List<FewShotRow>, int, double> FrozenEmbeddings(MLContext ml, string[] args, IReadOnlyList<FewShotRow> dev,
        out Dictionary<string, object> hyper)
    {
        float l1 = (float)Flags.Double(args, "--l1", 0), l2 = (float)Flags.Double(args, "--l2", 1);
        var embedder = ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModel = PretrainedModels.AllMiniLmL6V2 })
            .Fit(ml.Data.LoadFromEnumerable(Array.Empty<FewShotRow>()));
        var schema = SchemaDefinition.Create(typeof(EmbeddedRow));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, embedder.Dimensions);
        IDataView Embedded(IReadOnlyList<FewShotRow> rows) => ml.Data.LoadFromEnumerable(
            embedder.Embed(rows.Select(r => r.Text).ToList()).Zip(rows, (e, r) => new EmbeddedRow { Features = e, Label = r.Label }), schema);
        var clock = Stopwatch.StartNew();
        var devView = Embedded(dev);
        hyper = new()
        {
            ["pipeline"] = $"TextEmbedding(all-MiniLM-L6-v2, mean pooling, L2, max 256 tokens) + MapValueToKey + LbfgsMaximumEntropy(l1 {l1}, l2 {l2})",
            ["dev_embedding_s"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
        };
        return (train, _) =>
        {
            var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
                .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(l1Regularization: l1, l2Regularization: l2));
            return FewShotData.Accuracy(ml, pipeline.Fit(Embedded(train)).Transform(devView), dev);
        };
    }
}
