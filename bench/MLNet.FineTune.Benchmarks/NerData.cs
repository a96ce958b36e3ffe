using MLNet.FineTune.Data;

namespace MLNet.FineTune.Benchmarks;

/// <summary>The NER corpora of /work/shared/data: CoNLL-2003 English (train/test = eng.train/testb) and WikiANN English.</summary>
public static class NerData
{
    const string Folder = "/work/shared/data";

    /// <summary>All sentences of one split ("train" or "test") of "conll2003" or "wikiann".</summary>
    public static List<ConllSentence> Load(string dataset, string split) => dataset switch
    {
        "conll2003" => ConllReader.ReadFile(Path.Combine(Folder, "conll2003", split + ".txt"), ConllReaderOptions.Conll2003),
        "wikiann" => ConllReader.ReadFile(Path.Combine(Folder, "wikiann-en", split), ConllReaderOptions.WikiAnn()),
        // WNUT-17 has no test split here: its "test" is the emerging-entities dev set.
        "wnut17" => ConllReader.ReadFile(Path.Combine(Folder, "wnut17", split == "train" ? "wnut17train.conll" : "emerging.dev.conll"), ConllReaderOptions.TabSeparated),
        _ => throw new ArgumentException($"Unknown NER dataset '{dataset}' (conll2003, wikiann, wnut17)."),
    };

    /// <summary>
    /// The first <paramref name="rows"/> sentences after a seeded shuffle (all of them in file order when rows &lt;= 0), so a small run still sees sentences from every document.
    /// </summary>
    public static List<ConllSentence> Subset(List<ConllSentence> sentences, int rows)
    {
        if (rows <= 0) return sentences;
        var rng = new Random(1);
        var shuffled = sentences.OrderBy(_ => rng.Next()).ToList();
        return shuffled.Take(rows).ToList();
    }
}
