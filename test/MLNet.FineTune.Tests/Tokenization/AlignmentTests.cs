using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>Word ids, sequence ids, offsets, pre-split words and padding on the tiny WordPiece vocabulary.</summary>
[TestClass]
public class AlignmentTests
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
    public void OffsetsPointIntoTheOriginalTextThroughLowercasingAndAccentStripping()
    {
        var e = tokenizer.Encode("Héllo,  WÖRLD!");
        CollectionAssert.AreEqual(new[] { "[CLS]", "hello", ",", "world", "!", "[SEP]" }, e.Tokens);
        CollectionAssert.AreEqual(new (int, int)[] { (0, 0), (0, 5), (5, 6), (8, 13), (13, 14), (0, 0) }, e.Offsets);
        CollectionAssert.AreEqual(new int?[] { null, 0, 1, 2, 3, null }, e.WordIds);
        CollectionAssert.AreEqual(new int?[] { null, 0, 0, 0, 0, null }, e.SequenceIds);
    }

    [TestMethod]
    public void CombiningAccentStaysWithItsLetter()
    {
        var e = tokenizer.Encode("he\u0301llo", addSpecialTokens: false);
        CollectionAssert.AreEqual(new[] { 10 }, e.InputIds);
        CollectionAssert.AreEqual(new (int, int)[] { (0, 6) }, e.Offsets);
    }

    [TestMethod]
    public void SubWordsShareTheirWordIdAndPairWordsRestartAtZero()
    {
        var e = tokenizer.Encode("hellox a", "日本 b");
        CollectionAssert.AreEqual(new[] { "[CLS]", "hello", "##x", "a", "[SEP]", "日", "本", "b", "[SEP]" }, e.Tokens);
        CollectionAssert.AreEqual(new int?[] { null, 0, 0, 1, null, 0, 1, 2, null }, e.WordIds);
        CollectionAssert.AreEqual(new int?[] { null, 0, 0, 0, null, 1, 1, 1, null }, e.SequenceIds);
        CollectionAssert.AreEqual(new (int, int)[] { (0, 0), (0, 5), (5, 6), (7, 8), (0, 0), (0, 1), (1, 2), (3, 4), (0, 0) }, e.Offsets);
    }

    [TestMethod]
    public void LiteralSpecialTokensInTextAreMatchedAndUnknownWordsBecomeUnk()
    {
        var e = tokenizer.Encode("a [MASK] zzz", addSpecialTokens: false);
        CollectionAssert.AreEqual(new[] { 5, 4, 1 }, e.InputIds);
        CollectionAssert.AreEqual(new int?[] { 0, 1, 2 }, e.WordIds);
        CollectionAssert.AreEqual(new (int, int)[] { (0, 1), (2, 8), (9, 12) }, e.Offsets);
    }

    [TestMethod]
    public void PreSplitWordsIndexTheGivenWords()
    {
        var e = tokenizer.EncodeWords(["New", "York!", "hellox"]);
        CollectionAssert.AreEqual(new[] { "[CLS]", "new", "york", "!", "hello", "##x", "[SEP]" }, e.Tokens);
        CollectionAssert.AreEqual(new int?[] { null, 0, 1, 1, 2, 2, null }, e.WordIds);
        CollectionAssert.AreEqual(new (int, int)[] { (0, 0), (0, 3), (0, 4), (4, 5), (0, 5), (5, 6), (0, 0) }, e.Offsets);
    }

    [TestMethod]
    public void BatchIsRightPaddedToTheLongest()
    {
        var batch = tokenizer.EncodeBatch(["a", "a b c"], ["b", null]);
        Assert.HasCount(2, batch);
        CollectionAssert.AreEqual(new[] { 2, 5, 3, 6, 3 }, batch[0].InputIds);
        CollectionAssert.AreEqual(new[] { 2, 5, 6, 7, 3 }, batch[1].InputIds);
        var short1 = tokenizer.EncodeBatch(["a", "a b c"])[0];
        CollectionAssert.AreEqual(new[] { 2, 5, 3, 0, 0 }, short1.InputIds);
        CollectionAssert.AreEqual(new[] { 1, 1, 1, 0, 0 }, short1.AttentionMask);
        CollectionAssert.AreEqual(new int?[] { null, 0, null, null, null }, short1.WordIds);
        CollectionAssert.AreEqual(new[] { "[CLS]", "a", "[SEP]", "[PAD]", "[PAD]" }, short1.Tokens);
        Assert.AreEqual(0, tokenizer.PadTokenId);
    }

    [TestMethod]
    public void DecodeJoinsSubWordsAndSkipsSpecialTokens()
    {
        var ids = tokenizer.Encode("hellox, world!").InputIds;
        Assert.AreEqual("hellox, world!", tokenizer.Decode(ids));
        Assert.AreEqual("[CLS] hellox, world! [SEP]", tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [TestMethod]
    public void PropertiesComeFromTheFolder()
    {
        Assert.AreEqual("bert", tokenizer.ModelType);
        Assert.AreEqual(16, tokenizer.MaxLength);
        Assert.AreEqual(TinyTokenizerFolders.BertVocab.Length, tokenizer.VocabSize);
        Assert.AreEqual(4, tokenizer.MaskTokenId);
        CollectionAssert.AreEquivalent(new[] { "vocab.txt", "tokenizer_config.json", "config.json" }, tokenizer.SourceFiles.Select(Path.GetFileName).ToArray());
    }
}
