using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Benchmarks;

/// <summary>One few-shot row: a text and its class as a string ("positive"/"negative"), so every method is multiclass.</summary>
public sealed class FewShotRow
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
}

/// <summary>
/// Balanced, seeded few-shot draws from SST-2 train.tsv and the full 872-row dev set. Draw d of size N depends only on
/// (N, d), never on which other draws or methods a process runs, so runs split over processes use the same examples.
/// </summary>
public sealed class FewShotData
{
    public IReadOnlyList<FewShotRow> Dev { get; }
    readonly FewShotRow[] negatives, positives;

    FewShotData(FewShotRow[] negatives, FewShotRow[] positives, IReadOnlyList<FewShotRow> dev) =>
        (this.negatives, this.positives, Dev) = (negatives, positives, dev);

    /// <summary>Train rows with at least <paramref name="minWords"/> words form the pool (0: every row, phrases included).</summary>
    public static FewShotData Load(MLContext ml, int minWords)
    {
        static FewShotRow Row(Sst2Row r) => new() { Text = r.Text, Label = r.Label ? "positive" : "negative" };
        var train = SentimentData.Rows(ml, "train.tsv")
            .Where(r => r.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= minWords).Select(Row).ToArray();
        return new FewShotData(train.Where(r => r.Label == "negative").ToArray(), train.Where(r => r.Label == "positive").ToArray(),
            SentimentData.Rows(ml, "dev.tsv").Select(Row).ToList());
    }

    public static int Seed(int perClass, int draw) => 1_000 * perClass + draw;

    /// <summary><paramref name="perClass"/> negatives and as many positives (seeded by size and draw), in a seeded shuffled order.</summary>
    public List<FewShotRow> Draw(int perClass, int draw)
    {
        var rng = new Random(Seed(perClass, draw));
        var picked = Pick(negatives, perClass, rng).Concat(Pick(positives, perClass, rng)).ToArray();
        rng.Shuffle(picked);
        return picked.ToList();
    }

    /// <summary>A partial Fisher-Yates over indices: k distinct rows without shuffling the whole pool.</summary>
    static IEnumerable<FewShotRow> Pick(FewShotRow[] pool, int k, Random rng)
    {
        var chosen = new Dictionary<int, int>();
        for (int i = 0; i < k; i++)
        {
            int j = rng.Next(i, pool.Length);
            int atJ = chosen.GetValueOrDefault(j, j);
            chosen[j] = chosen.GetValueOrDefault(i, i);
            yield return pool[atJ];
        }
    }

    /// <summary>Accuracy of a scored view's PredictedLabel (key-typed or string) against the gold string labels, in row order.</summary>
    public static double Accuracy(MLContext ml, IDataView scored, IReadOnlyList<FewShotRow> gold)
    {
        if (scored.Schema["PredictedLabel"].Type is KeyDataViewType)
            scored = ml.Transforms.Conversion.MapKeyToValue("PredictedLabelValue", "PredictedLabel").Fit(scored).Transform(scored);
        else scored = ml.Transforms.CopyColumns("PredictedLabelValue", "PredictedLabel").Fit(scored).Transform(scored);
        var predicted = scored.GetColumn<ReadOnlyMemory<char>>("PredictedLabelValue").Select(p => p.ToString()).ToList();
        if (predicted.Count != gold.Count) throw new InvalidOperationException($"{predicted.Count} predictions for {gold.Count} rows.");
        return (double)predicted.Zip(gold).Count(x => x.First == x.Second.Label) / gold.Count;
    }
}
