using MLNet.FineTune.Data;

namespace MLNet.FineTune.Tests.Data;

[TestClass]
public class ConllReaderTests
{
    static List<ConllSentence> Read(string text, ConllReaderOptions options) =>
        ConllReader.Read(new StringReader(text), "sample.txt", options).ToList();

    [TestMethod]
    public void ReadsConll2003LayoutWithDocstartAndBlankLines()
    {
        const string text = "\uFEFF-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n\n" +
                            "Peter NNP B-NP B-PER\r\nBlackburn NNP I-NP I-PER\n-DOCSTART- -X- -X- O\n\nBRUSSELS NNP B-NP B-LOC";
        var sentences = Read(text, ConllReaderOptions.Conll2003);
        Assert.HasCount(3, sentences);
        CollectionAssert.AreEqual(new[] { "EU", "rejects" }, sentences[0].Words);
        CollectionAssert.AreEqual(new[] { "B-ORG", "O" }, sentences[0].Tags);
        CollectionAssert.AreEqual(new[] { 3, 4 }, sentences[0].LineNumbers);
        CollectionAssert.AreEqual(new[] { "B-PER", "I-PER" }, sentences[1].Tags);
        CollectionAssert.AreEqual(new[] { 7, 8 }, sentences[1].LineNumbers);
        Assert.AreEqual("Peter Blackburn", sentences[1].Text);
        CollectionAssert.AreEqual(new[] { 0, 0, 1 }, sentences.Select(s => s.DocumentIndex).ToArray());
    }

    [TestMethod]
    public void TabOnlyLinesAndBomOnlyLastLineBreakSentencesLikeWnut()
    {
        const string text = "@paulwalk\tO\nIt\tO\n\t\nDubbz\uFEFF\tB-person\nrocks\tO\n\uFEFF";
        var sentences = Read(text, ConllReaderOptions.TabSeparated);
        Assert.HasCount(2, sentences);
        CollectionAssert.AreEqual(new[] { "Dubbz", "rocks" }, sentences[1].Words);
        CollectionAssert.AreEqual(new[] { "B-person", "O" }, sentences[1].Tags);
    }

    [TestMethod]
    public void StripsWikiAnnLanguagePrefixButKeepsAColonToken()
    {
        var sentences = Read("en:R.H.\tB-ORG\nen::\tO\nen:Saunders\tI-ORG\n", ConllReaderOptions.WikiAnn());
        CollectionAssert.AreEqual(new[] { "R.H.", ":", "Saunders" }, sentences.Single().Words);
        var kept = Read("en:R.H.\tB-ORG\n", ConllReaderOptions.TabSeparated);
        Assert.AreEqual("en:R.H.", kept.Single().Words[0]);
    }

    [TestMethod]
    public void MalformedRowNamesFileLineAndColumnCounts()
    {
        var e = Assert.ThrowsExactly<ConllFormatException>(() => Read("EU NNP B-NP B-ORG\nrejects\n", ConllReaderOptions.Conll2003));
        Assert.AreEqual("sample.txt line 2: expected at least 4 columns, found 1", e.Message);
        Assert.AreEqual(2, e.LineNumber);
        var tab = Assert.ThrowsExactly<ConllFormatException>(() => Read("a\tO\nb\t\n", ConllReaderOptions.TabSeparated));
        Assert.AreEqual("sample.txt line 2: empty tag in column 1", tab.Message);
    }

    [TestMethod]
    public void TagColumnCountsFromTheEndWhenNegative()
    {
        var s = Read("Paris NNP B-LOC\nis VBZ O\n", new ConllReaderOptions { TagColumn = -1 }).Single();
        CollectionAssert.AreEqual(new[] { "B-LOC", "O" }, s.Tags);
        var e = Assert.ThrowsExactly<ConllFormatException>(() => Read("Paris\n", new ConllReaderOptions()));
        StringAssert.Contains(e.Message, "expected at least 2 columns, found 1");
    }

    [TestMethod]
    public void ReadFileUsesTheFileNameInErrors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"conll-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "ok O\n\nbroken\n");
        try
        {
            var e = Assert.ThrowsExactly<ConllFormatException>(() => ConllReader.ReadFile(path));
            Assert.AreEqual($"{Path.GetFileName(path)} line 3: expected at least 2 columns, found 1", e.Message);
        }
        finally { File.Delete(path); }
    }
}
