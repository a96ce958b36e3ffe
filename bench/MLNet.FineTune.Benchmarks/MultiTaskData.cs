using Microsoft.ML;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// One row of the multi-task benchmark. A row carries one task's label only: SST-2 rows a Sentiment and empty Tags,
/// WikiANN rows Tags and an empty Sentiment ("" = no label for that head, so its loss skips the row).
/// </summary>
public sealed class MultiTaskRow
{
    public string Text { get; set; } = "";
    /// <summary>"positive", "negative", or "" on NER rows. Text rather than Boolean: a Boolean label cannot be missing.</summary>
    public string Sentiment { get; set; } = "";
    /// <summary>Space-separated IOB2 tags, or "" on sentiment rows.</summary>
    public string Tags { get; set; } = "";
}

/// <summary>SST-2 and WikiANN rows as <see cref="MultiTaskRow"/>s: training subsets, and the dev/test sets scored.</summary>
public static class MultiTaskData
{
    public const string SentimentColumn = "Sentiment", TagsColumn = "Tags";

    /// <summary>The first <paramref name="rows"/> rows of SST-2 train.tsv after the seeded shuffle of the sst2 mode.</summary>
    public static List<MultiTaskRow> Sst2Train(MLContext ml, int rows) =>
        FromSst2(ml.Data.CreateEnumerable<Sst2Row>(SentimentData.TrainSubset(ml, rows), reuseRowObject: false));

    /// <summary>The 872 SST-2 dev rows.</summary>
    public static List<MultiTaskRow> Sst2Dev(MLContext ml) => FromSst2(SentimentData.Rows(ml, "dev.tsv"));

    /// <summary>WikiANN sentences of <paramref name="split"/>, the first <paramref name="rows"/> after a seeded shuffle (all when 0).</summary>
    public static List<MultiTaskRow> WikiAnn(string split, int rows) =>
        NerData.Subset(NerData.Load("wikiann", split), rows).Select(FromSentence).ToList();

    static List<MultiTaskRow> FromSst2(IEnumerable<Sst2Row> rows) =>
        rows.Select(r => new MultiTaskRow { Text = r.Text, Sentiment = r.Label ? "positive" : "negative" }).ToList();

    static MultiTaskRow FromSentence(ConllSentence s) => new() { Text = s.Text, Tags = string.Join(' ', s.Tags) };
}
