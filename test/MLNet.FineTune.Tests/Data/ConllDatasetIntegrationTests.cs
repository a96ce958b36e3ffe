using MLNet.FineTune.Data;
using MLNet.FineTune.Evaluation;
using MLNet.FineTune.Heads.TokenTagging;

namespace MLNet.FineTune.Tests.Data;

/// <summary>Reads the real datasets in shared/data; counts are those in shared/data/README.md.</summary>
[TestClass]
[TestCategory("Integration")]
public class ConllDatasetIntegrationTests
{
    [TestMethod]
    [DataRow("conll2003/train.txt", 14041, 946)]
    [DataRow("conll2003/valid.txt", 3250, 216)]
    [DataRow("conll2003/test.txt", 3453, 231)]
    public void Conll2003SentenceAndDocumentCounts(string file, int sentences, int documents)
    {
        var data = ConllReader.ReadFile(SharedFixtures.Require("data/" + file), ConllReaderOptions.Conll2003);
        Assert.HasCount(sentences, data);
        Assert.AreEqual(documents, data[^1].DocumentIndex + 1);
        // This copy is IOB2, so no sentence should break the scheme.
        Assert.IsEmpty(TagSchemeValidator.Validate(data.Select(s => s.Tags), TagScheme.Iob2));
    }

    [TestMethod]
    public void Conll2003FirstSentences()
    {
        var data = ConllReader.ReadFile(SharedFixtures.Require("data/conll2003/train.txt"), ConllReaderOptions.Conll2003);
        Assert.AreEqual("EU rejects German call to boycott British lamb .", data[0].Text);
        CollectionAssert.AreEqual(new[] { "B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O" }, data[0].Tags);
        CollectionAssert.AreEqual(new[] { 3, 4, 5, 6, 7, 8, 9, 10, 11 }, data[0].LineNumbers);
        Assert.AreEqual("Peter Blackburn", data[1].Text);
    }

    [TestMethod]
    [DataRow("wnut17/wnut17train.conll", 3394)]
    [DataRow("wnut17/emerging.dev.conll", 1009)]
    public void Wnut17SentenceCounts(string file, int sentences)
    {
        var data = ConllReader.ReadFile(SharedFixtures.Require("data/" + file), ConllReaderOptions.TabSeparated);
        Assert.HasCount(sentences, data);
        Assert.IsFalse(data.Any(s => s.Words.Any(w => w.Contains('\uFEFF'))));
        var types = data.SelectMany(s => TagChunker.Chunks(s.Tags)).Select(c => c.Type).Distinct().Order().ToArray();
        CollectionAssert.AreEqual(new[] { "corporation", "creative-work", "group", "location", "person", "product" }, types);
    }

    [TestMethod]
    [DataRow("wikiann-en/train", 20000)]
    [DataRow("wikiann-en/dev", 10000)]
    [DataRow("wikiann-en/test", 10000)]
    public void WikiAnnSentenceCountsWithoutLanguagePrefix(string file, int sentences)
    {
        var data = ConllReader.ReadFile(SharedFixtures.Require("data/" + file), ConllReaderOptions.WikiAnn("en"));
        Assert.HasCount(sentences, data);
        Assert.IsFalse(data.Any(s => s.Words.Any(w => w.StartsWith("en:", StringComparison.Ordinal))));
        if (file.EndsWith("train", StringComparison.Ordinal))
            Assert.AreEqual("R.H. Saunders ( St. Lawrence River ) ( 968 MW )", data[0].Text);
    }

    [TestMethod]
    public void GoldAgainstItselfScoresPerfectly()
    {
        var tags = ConllReader.ReadFile(SharedFixtures.Require("data/conll2003/valid.txt"), ConllReaderOptions.Conll2003)
            .Select(s => s.Tags).ToList();
        var report = SeqevalMetrics.Evaluate(tags, tags);
        Assert.AreEqual(1.0, report.Micro.F1);
        // CoNLL-2003 validation has 5,942 entities (LOC 1837, MISC 922, ORG 1341, PER 1842).
        CollectionAssert.AreEqual(new[] { 1837, 922, 1341, 1842 }, report.PerType.Select(s => s.Support).ToArray());
    }
}
