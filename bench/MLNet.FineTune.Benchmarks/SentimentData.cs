using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Benchmarks;

/// <summary>One SST-2 row (GLUE tsv: sentence, label 0/1).</summary>
public sealed class Sst2Row
{
    [LoadColumn(0)] public string Text { get; set; } = "";
    [LoadColumn(1)] public bool Label { get; set; }
}

/// <summary>What both pipelines predict for a binary label.</summary>
public sealed class BinaryPrediction
{
    public bool PredictedLabel { get; set; }
}

/// <summary>Loads /work/shared/data/sst2 (train subset and the 872-row dev set).</summary>
public static class SentimentData
{
    public const string Folder = "/work/shared/data/sst2";

    public static IDataView Load(MLContext ml, string file) =>
        ml.Data.LoadFromTextFile<Sst2Row>(Path.Combine(Folder, file), separatorChar: '\t', hasHeader: true, allowQuoting: false);

    /// <summary>A TSV file of the same layout (sentence, label, header row), materialised in memory.</summary>
    public static IDataView LoadFile(MLContext ml, string path) => ml.Data.LoadFromEnumerable(
        ml.Data.CreateEnumerable<Sst2Row>(ml.Data.LoadFromTextFile<Sst2Row>(path, separatorChar: '\t', hasHeader: true, allowQuoting: false), false).ToList());

    /// <summary>The first <paramref name="rows"/> rows of train.tsv after a seeded shuffle, materialised in memory.</summary>
    public static IDataView TrainSubset(MLContext ml, int rows)
    {
        var list = ml.Data.CreateEnumerable<Sst2Row>(Load(ml, "train.tsv"), reuseRowObject: false).ToList();
        var rng = new Random(1);
        var subset = list.OrderBy(_ => rng.Next()).Take(rows).ToList();
        return ml.Data.LoadFromEnumerable(subset);
    }

    public static List<Sst2Row> Rows(MLContext ml, string file) =>
        ml.Data.CreateEnumerable<Sst2Row>(Load(ml, file), reuseRowObject: false).ToList();

    /// <summary>Accuracy of the PredictedLabel column against the gold labels.</summary>
    public static double Accuracy(MLContext ml, IDataView scored)
    {
        var predicted = ml.Data.CreateEnumerable<BinaryPrediction>(scored, reuseRowObject: false).Select(p => p.PredictedLabel).ToList();
        var gold = scored.GetColumn<bool>("Label").ToList();
        return (double)predicted.Zip(gold).Count(x => x.First == x.Second) / gold.Count;
    }
}
