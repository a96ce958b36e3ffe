using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Training;
using TorchSharp;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// <c>fewshot pairs-check</c>: SetFit's body training and head on a pair list given from outside, in the given order
/// (no shuffling), so the same step sequence can run in Python SetFit (bench/setfit_reference.py --pairs-check writes
/// the pairs setfit trains on and runs them there). With a checkpoint whose dropout is 0 both runs are deterministic
/// and must agree up to float summation order: per-step losses, dev embeddings, dev accuracy. This is
/// <c>MulticlassClassification.Trainers.SetFit</c>'s own composition (FineTuneEmbeddings with CosineSimilarity and
/// SetFit's training defaults, then LbfgsMaximumEntropy L1 0 / L2 1 on the L2-normalised mean-pooled embeddings), with
/// the pairs supplied instead of sampled.
/// </summary>
public static class SetFitPairsCheck
{
    sealed class PairRow
    {
        public string Anchor { get; set; } = "";
        public string Positive { get; set; } = "";
        public float Score { get; set; }
    }

    sealed class EmbeddedRow
    {
        public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    sealed class LossLog : IProgress<FineTuneProgress>
    {
        public List<double> Losses { get; } = [];
        public void Report(FineTuneProgress value) => Losses.Add(value.Loss);
    }

    public static string Run(string[] args)
    {
        string Required(string flag) => Flags.String(args, flag, "") is { Length: > 0 } v ? v : throw new ArgumentException($"fewshot pairs-check needs {flag}.");
        torch.set_num_threads(Flags.Int(args, "--threads", 2));
        var ml = new MLContext(seed: 1);
        var pairs = ReadTsv(Required("--pairs"), 3).Select(c => new PairRow
        {
            Anchor = c[0], Positive = c[1], Score = float.Parse(c[2], System.Globalization.CultureInfo.InvariantCulture),
        }).ToList();
        var train = ReadTsv(Required("--train"), 2);
        var dev = ReadTsv(Required("--dev"), 2);
        var log = new LossLog();
        var options = new EmbeddingFineTuneOptions
        {
            BaseModelFolder = Required("--model"), Loss = ContrastiveLoss.CosineSimilarity, Pooling = EmbeddingPooling.Mean, Normalize = true,
            MaxSequenceLength = Flags.Int(args, "--maxlen", 64), Progress = log,
            Training = SetFitDefaults.Body with { Shuffle = false, Seed = Flags.Int(args, "--seed", 42), LoggingSteps = 1_000_000 },
        };
        var body = ml.Transforms.FineTuneEmbeddings(options).Fit(ml.Data.LoadFromEnumerable(pairs));
        var devEmbeddings = body.Embed(dev.Select(r => r[0]).ToList());
        if (Flags.String(args, "--embeddings-out", "") is { Length: > 0 } file)
        {
            using var writer = new BinaryWriter(File.Create(file));   // float32 little-endian, rows × dimensions
            foreach (var v in devEmbeddings.SelectMany(e => e)) writer.Write(v);
        }

        var schema = SchemaDefinition.Create(typeof(EmbeddedRow));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, body.Dimensions);
        IDataView View(IEnumerable<float[]> embeddings, IEnumerable<string[]> rows) =>
            ml.Data.LoadFromEnumerable(embeddings.Zip(rows, (e, r) => new EmbeddedRow { Features = e, Label = r[1] }), schema);
        var head = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new() { L1Regularization = 0, L2Regularization = 1, NumberOfThreads = 1 }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(View(body.Embed(train.Select(r => r[0]).ToList()), train));
        var predicted = head.Transform(View(devEmbeddings, dev)).GetColumn<ReadOnlyMemory<char>>("PredictedLabel").Select(p => p.ToString()).ToList();
        double accuracy = (double)predicted.Zip(dev).Count(x => x.First == x.Second[1]) / dev.Count;
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mode"] = "fewshot-pairs-check", ["pairs"] = pairs.Count, ["steps"] = log.Losses.Count, ["dev_rows"] = dev.Count,
            ["dev_accuracy"] = Math.Round(accuracy, 4), ["losses"] = log.Losses.Select(l => Math.Round(l, 6)).ToList(),
        });
    }

    /// <summary>A TSV with a header row and <paramref name="columns"/> columns per line (bench fewshot dump's and the pair files' layout).</summary>
    static List<string[]> ReadTsv(string path, int columns)
    {
        var rows = File.ReadLines(path).Skip(1).Select(l => l.Split('\t')).ToList();
        if (rows.FirstOrDefault(r => r.Length != columns) is { } bad)
            throw new InvalidDataException($"{path}: a line has {bad.Length} columns, expected {columns}: \"{string.Join("\\t", bad)}\".");
        return rows;
    }
}
