using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>Bad checkpoint folders fail with messages naming the folder, file and line.</summary>
[TestClass]
public class TokenizerLoadingErrorTests
{
    [TestMethod]
    public void FolderWithoutTokenizerFilesListsWhatWasLookedFor()
    {
        using var folder = new TempFolder();
        folder.Write("config.json", """{"model_type": "bert"}""");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => TransformerTokenizer.FromFolder(folder.Path));
        StringAssert.Contains(e.Message, folder.Path);
        foreach (var expected in new[] { "vocab.txt", "vocab.json + merges.txt", "*.model", "tokenizer.json" })
            StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    public void VocabJsonWithoutMergesSaysSo()
    {
        using var folder = new TempFolder();
        folder.Write("vocab.json", """{"a": 0}""");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => TransformerTokenizer.FromFolder(folder.Path));
        StringAssert.Contains(e.Message, "merges.txt is missing");
    }

    [TestMethod]
    public void MissingFolderIsNamed()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-tokenizer-" + Guid.NewGuid().ToString("N"));
        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() => TransformerTokenizer.FromFolder(path));
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void MalformedMergesLineNamesFileAndLine()
    {
        using var folder = TinyTokenizerFolders.ByteLevelBpe(merges: "#version: 0.2\na b\nĠ c d\n");
        var e = Assert.ThrowsExactly<FormatException>(() => TransformerTokenizer.FromFolder(folder.Path));
        StringAssert.Contains(e.Message, Path.Combine(folder.Path, "merges.txt"));
        StringAssert.Contains(e.Message, "line 3");
        StringAssert.Contains(e.Message, "'Ġ c d'");
    }

    [TestMethod]
    public void BrokenJsonConfigNamesTheFile()
    {
        using var folder = TinyTokenizerFolders.WordPiece();
        folder.Write("tokenizer_config.json", "{\"do_lower_case\": tru");
        var e = Assert.ThrowsExactly<FormatException>(() => TransformerTokenizer.FromFolder(folder.Path));
        StringAssert.Contains(e.Message, "tokenizer_config.json");
    }

    [TestMethod]
    public void BareVocabTxtGetsBertTokenizerDefaults()
    {
        using var folder = new TempFolder();
        folder.Write("vocab.txt", string.Join("\n", TinyTokenizerFolders.BertVocab));
        var tokenizer = TransformerTokenizer.FromFolder(folder.Path);
        CollectionAssert.AreEqual(new[] { 2, 5, 3 }, tokenizer.Encode("A").InputIds);
        Assert.AreEqual(512, tokenizer.MaxLength);
    }

    [TestMethod]
    public void BertWithoutClsOrSepIsRejected()
    {
        using var folder = new TempFolder();
        folder.Write("vocab.txt", "[UNK]\na\n");
        folder.Write("config.json", """{"model_type": "bert"}""");
        var e = Assert.ThrowsExactly<FormatException>(() => TransformerTokenizer.FromFolder(folder.Path));
        StringAssert.Contains(e.Message, "cls_token/sep_token");
    }
}
