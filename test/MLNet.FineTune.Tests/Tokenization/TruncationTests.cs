using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>HF truncate_sequences semantics on a tiny vocabulary: a b c d e = ids 5..9, [CLS]=2, [SEP]=3.</summary>
[TestClass]
public class TruncationTests
{
    static TempFolder folder = null!;
    static TransformerTokenizer tokenizer = null!;

    [ClassInitialize]
    public static void Init(TestContext _)
    {
        folder = TinyTokenizerFolders.WordPiece();
        tokenizer = TransformerTokenizer.FromFolder(folder.Path);
    }

    [ClassCleanup]
    public static void Cleanup() => folder.Dispose();

    [TestMethod]
    public void LongestFirstRemovesOneTokenAtATimeFromTheLongerSequence()
    {
        // 5 + 3 + 3 specials = 11 > 8: remove 3 → first 5→4→3, then tie 3 vs 3 goes to the second.
        var e = tokenizer.Encode("a b c d e", "a b c", maxLength: 8);
        CollectionAssert.AreEqual(new[] { 2, 5, 6, 7, 3, 5, 6, 3 }, e.InputIds);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 0, 1, 1, 1 }, e.TokenTypeIds);
    }

    [TestMethod]
    public void LongestFirstOnATieCutsTheSecondSequence()
    {
        var e = tokenizer.Encode("a b c", "c d e", maxLength: 8);
        CollectionAssert.AreEqual(new[] { 2, 5, 6, 7, 3, 7, 8, 3 }, e.InputIds);
    }

    [TestMethod]
    public void OnlyFirstAndOnlySecondCutOnlyTheirSequence()
    {
        CollectionAssert.AreEqual(new[] { 2, 5, 6, 3, 5, 6, 7, 3 }, tokenizer.Encode("a b c d e", "a b c", 8, TruncationStrategy.OnlyFirst).InputIds);
        CollectionAssert.AreEqual(new[] { 2, 5, 6, 7, 8, 3, 5, 3 }, tokenizer.Encode("a b c d", "a b c", 8, TruncationStrategy.OnlySecond).InputIds);
    }

    [TestMethod]
    public void SingleTextIsCutAtItsEndAndDoNotTruncateKeepsEverything()
    {
        CollectionAssert.AreEqual(new[] { 2, 5, 6, 3 }, tokenizer.Encode("a b c d e", maxLength: 4).InputIds);
        Assert.AreEqual(11, tokenizer.Encode("a b c d e", "a b c", 4, TruncationStrategy.DoNotTruncate).Length);
        CollectionAssert.AreEqual(new[] { 5, 6, 7, 8 }, tokenizer.Encode("a b c d e", maxLength: 4, addSpecialTokens: false).InputIds);
    }

    [TestMethod]
    public void OnlySecondWithoutAPairIsRejected()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => tokenizer.Encode("a b", truncation: TruncationStrategy.OnlySecond));
        StringAssert.Contains(e.Message, "OnlySecond needs a text pair");
    }

    [TestMethod]
    public void UnknownStrategyIsRejected()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => tokenizer.Encode("a", "b", truncation: (TruncationStrategy)42));
        StringAssert.Contains(e.Message, "LongestFirst, OnlyFirst, OnlySecond, DoNotTruncate");
    }

    [TestMethod]
    public void TruncationThatCannotFitSaysWhy()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => tokenizer.Encode("a b c", "a b c d e", 6, TruncationStrategy.OnlyFirst));
        StringAssert.Contains(e.Message, "first sequence has only 3");
        StringAssert.Contains(e.Message, "maxLength 6");
    }
}
