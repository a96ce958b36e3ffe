using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Pretrained;
using TorchSharp;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// MRPC through sentence embeddings: a pair is a paraphrase when the cosine of its two embeddings reaches a threshold,
/// the one with the best accuracy on the train pairs; dev accuracy and F1 (paraphrase class) at that threshold.
/// Embeddings: frozen all-MiniLM-L6-v2, or MiniLM contrastively fine-tuned on the train pairs' labels.
/// </summary>
public static class MrpcEmbeddingBenchmark
{
    sealed class TextRow { public string Text { get; set; } = ""; }

    public static string Run(string system, string[] args)
    {
        torch.set_num_threads(Flags.Int(args, "--threads", 2));
        var ml = new MLContext(seed: 1);
        var train = PairsBenchmark.Rows(ml, "train.tsv");
        var dev = PairsBenchmark.Rows(ml, "dev.tsv");
        var clock = Stopwatch.StartNew();
        var (embedder, hyper) = system switch
        {
            "frozen" => (ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModel = PretrainedModels.AllMiniLmL6V2 })
                .Fit(ml.Data.LoadFromEnumerable(Array.Empty<TextRow>())), (object)"all-MiniLM-L6-v2 as shipped (mean pooling, L2)"),
            "contrastive" or "cosent" => FineTuned(ml, train, system == "cosent" ? ContrastiveLoss.CoSent : ContrastiveLoss.Contrastive, args),
            _ => throw new ArgumentException($"Unknown mrpc-embed system '{system}' (frozen, contrastive, cosent)."),
        };
        double fitSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var trainCosines = Cosines(embedder, train);
        var devCosines = Cosines(embedder, dev);
        double embedSeconds = clock.Elapsed.TotalSeconds;
        var trainLabels = train.Select(r => r.Label).ToArray();
        var devLabels = dev.Select(r => r.Label).ToArray();
        double threshold = CosineThreshold.BestAccuracy(trainCosines, trainLabels);
        var (trainAccuracy, _) = CosineThreshold.Evaluate(trainCosines, trainLabels, threshold);
        var (devAccuracy, devF1) = CosineThreshold.Evaluate(devCosines, devLabels, threshold);
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mode"] = "mrpc-embed", ["system"] = system, ["train_rows"] = train.Count, ["dev_rows"] = dev.Count,
            ["threshold_rule"] = "best accuracy on the train pairs", ["threshold"] = Math.Round(threshold, 4),
            ["train_accuracy"] = Math.Round(trainAccuracy, 4), ["dev_accuracy"] = Math.Round(devAccuracy, 4), ["dev_f1"] = Math.Round(devF1, 4),
            ["dev_majority_accuracy"] = Math.Round(Math.Max(devLabels.Average(l => l ? 1.0 : 0), devLabels.Average(l => l ? 0 : 1.0)), 4),
            ["fit_s"] = Math.Round(fitSeconds, 1), ["embed_train_and_dev_s"] = Math.Round(embedSeconds, 1),
            ["hyperparameters"] = hyper, ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
        });
    }

    sealed class PairRow
    {
        public string Text { get; set; } = "";
        public string Text2 { get; set; } = "";
        public bool Label { get; set; }
        public float Score { get; set; }
    }

    /// <summary>MiniLM fine-tuned on the train pairs: Contrastive reads the label, CoSent the same label as a 0/1 score.</summary>
    static (TextEmbeddingTransformer, object) FineTuned(MLContext ml, List<MrpcRow> train, ContrastiveLoss loss, string[] args)
    {
        var options = new EmbeddingFineTuneOptions
        {
            BaseModel = PretrainedModels.AllMiniLmL6V2, FirstColumnName = "Text", SecondColumnName = "Text2",
            LabelColumnName = "Label", ScoreColumnName = "Score", Loss = loss,
            MaxSequenceLength = Flags.Int(args, "--maxlen", 128),
            Training = EmbeddingFineTuneOptions.DefaultTraining with
            {
                Epochs = Flags.Int(args, "--epochs", 1), LearningRate = Flags.Double(args, "--lr", EmbeddingFineTuneOptions.DefaultTraining.LearningRate),
                BatchSize = Flags.Int(args, "--batch", EmbeddingFineTuneOptions.DefaultTraining.BatchSize), LoggingSteps = 1_000_000,
            },
        };
        var rows = train.Select(r => new PairRow { Text = r.Text, Text2 = r.Text2, Label = r.Label, Score = r.Label ? 1 : 0 });
        var model = ml.Transforms.FineTuneEmbeddings(options).Fit(ml.Data.LoadFromEnumerable(rows));
        var t = options.Training;
        return (model, new Dictionary<string, object>
        {
            ["base_model"] = "sentence-transformers/all-MiniLM-L6-v2", ["loss"] = loss.ToString(), ["targets"] = "MRPC train labels (CoSent: as scores 0/1)",
            ["margin"] = options.Margin, ["scale"] = options.Scale, ["max_seq_len"] = options.MaxSequenceLength!, ["epochs"] = t.Epochs,
            ["lr"] = t.LearningRate, ["batch"] = t.BatchSize, ["warmup_ratio"] = t.WarmupRatio, ["weight_decay"] = t.WeightDecay, ["seed"] = t.Seed,
        });
    }

    /// <summary>Cosine of each pair's two embeddings (the transform L2-normalises, so a dot product).</summary>
    static double[] Cosines(TextEmbeddingTransformer embedder, IReadOnlyList<MrpcRow> pairs)
    {
        var first = embedder.Embed(pairs.Select(p => p.Text).ToList());
        var second = embedder.Embed(pairs.Select(p => p.Text2).ToList());
        return first.Zip(second, (a, b) => CosineThreshold.Cosine(a, b)).ToArray();
    }
}

/// <summary>Threshold classification of pair similarities: the best-accuracy threshold and accuracy/F1 at a threshold.</summary>
public static class CosineThreshold
{
    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return dot / Math.Sqrt(na * nb);
    }

    /// <summary>
    /// The threshold t (predict positive when cosine ≥ t) with the most correct predictions: candidates are midpoints
    /// between consecutive distinct sorted cosines, plus below all and above all; ties go to the lower threshold.
    /// </summary>
    public static double BestAccuracy(double[] cosines, bool[] labels)
    {
        var order = Enumerable.Range(0, cosines.Length).OrderBy(i => cosines[i]).ToArray();
        int correct = labels.Count(l => l);                     // threshold below everything: all predicted positive
        int best = correct;
        double bestThreshold = cosines[order[0]] - 1e-6;
        for (int k = 0; k < order.Length; k++)
        {
            correct += labels[order[k]] ? -1 : 1;                 // order[k] now falls below the threshold
            if (k + 1 < order.Length && cosines[order[k + 1]] == cosines[order[k]]) continue;
            if (correct > best)
            {
                best = correct;
                bestThreshold = k + 1 < order.Length ? 0.5 * (cosines[order[k]] + cosines[order[k + 1]]) : cosines[order[k]] + 1e-6;
            }
        }
        return bestThreshold;
    }

    public static (double Accuracy, double F1) Evaluate(double[] cosines, bool[] labels, double threshold)
    {
        int tp = 0, fp = 0, fn = 0, correct = 0;
        for (int i = 0; i < cosines.Length; i++)
        {
            bool predicted = cosines[i] >= threshold;
            if (predicted == labels[i]) correct++;
            if (predicted && labels[i]) tp++;
            else if (predicted) fp++;
            else if (labels[i]) fn++;
        }
        double f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
        return ((double)correct / cosines.Length, f1);
    }
}
