using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>RoBERTa / GPT-2 conventions on a tiny byte-level BPE vocabulary (see <see cref="TinyTokenizerFolders.ByteLevelBpe"/>).</summary>
[TestClass]
public class ByteLevelBpeTests
{
    [TestMethod]
    public void RobertaPairLayoutIsSDoubleSeparatorAndAllTypeZero()
    {
        using var folder = TinyTokenizerFolders.ByteLevelBpe();
        var tokenizer = TransformerTokenizer.FromFolder(folder.Path);
        Assert.AreEqual("roberta", tokenizer.ModelType);
        var e = tokenizer.Encode("ab c", "a");
        CollectionAssert.AreEqual(new[] { 0, 8, 9, 2, 2, 4, 2 }, e.InputIds);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 0, 0, 0 }, e.TokenTypeIds);
        CollectionAssert.AreEqual(new int?[] { null, 0, 1, null, null, 0, null }, e.WordIds);
        CollectionAssert.AreEqual(new (int, int)[] { (0, 0), (0, 2), (2, 4), (0, 0), (0, 0), (0, 1), (0, 0) }, e.Offsets);
    }

    [TestMethod]
    public void MaskTokenSwallowsTheSpaceBeforeIt()
    {
        using var folder = TinyTokenizerFolders.ByteLevelBpe();
        var e = TransformerTokenizer.FromFolder(folder.Path).Encode("ab <mask>", addSpecialTokens: false);
        CollectionAssert.AreEqual(new[] { 8, 12 }, e.InputIds);
        CollectionAssert.AreEqual(new (int, int)[] { (0, 2), (3, 9) }, e.Offsets);
    }

    [TestMethod]
    public void Gpt2AddsNoSpecialTokensAndPadsWithEos()
    {
        using var folder = TinyTokenizerFolders.ByteLevelBpe(gpt2: true);
        var tokenizer = TransformerTokenizer.FromFolder(folder.Path);
        Assert.AreEqual("gpt2", tokenizer.ModelType);
        CollectionAssert.AreEqual(new[] { 8, 9 }, tokenizer.Encode("ab c").InputIds);
        Assert.AreEqual(2, tokenizer.PadTokenId);
        CollectionAssert.AreEqual(new[] { 4, 2 }, tokenizer.EncodeBatch(["a", "ab c"])[0].InputIds);
    }

    [TestMethod]
    public void BytesOfOneCharacterShareItsOffsetsAndDecodeRestoresIt()
    {
        using var folder = TinyTokenizerFolders.ByteLevelBpe(gpt2: true);
        var tokenizer = TransformerTokenizer.FromFolder(folder.Path);
        var e = tokenizer.Encode("aé");
        CollectionAssert.AreEqual(new[] { "a", "Ã", "©" }, e.Tokens);
        CollectionAssert.AreEqual(new (int, int)[] { (0, 1), (1, 2), (1, 2) }, e.Offsets);
        Assert.AreEqual("aé", tokenizer.Decode(e.InputIds));
    }

    [TestMethod]
    public void PreSplitWordsGetALeadingSpace()
    {
        using var folder = TinyTokenizerFolders.ByteLevelBpe(gpt2: true);
        var e = TransformerTokenizer.FromFolder(folder.Path).EncodeWords(["ab", "c"]);
        CollectionAssert.AreEqual(new[] { "Ġ", "ab", "Ġc" }, e.Tokens);
        CollectionAssert.AreEqual(new int?[] { 0, 0, 1 }, e.WordIds);
        CollectionAssert.AreEqual(new (int, int)[] { (0, 0), (0, 2), (0, 1) }, e.Offsets);
    }
}
