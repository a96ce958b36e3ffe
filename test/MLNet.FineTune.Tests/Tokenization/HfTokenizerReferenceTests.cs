using System.Text.Json;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>Token-for-token parity with Hugging Face slow tokenizers on the 55 reference strings (shared/fixtures/hf-reference/tokenizers).</summary>
[TestClass]
[TestCategory("Integration")]
public class HfTokenizerReferenceTests
{
    const string MiniLm = "models/all-MiniLM-L6-v2-tokenizer-config-NO-WEIGHTS";
    const string TinyGpt2 = "models/tiny-gpt2";

    [TestMethod]
    public void WordPieceMatchesBertTokenizerOnAllStrings()
    {
        var tokenizer = TransformerTokenizer.FromFolder(SharedFixtures.Require(MiniLm));
        Assert.AreEqual("bert", tokenizer.ModelType);
        AssertWordPieceItems(tokenizer, checkDecoded: true);
    }

    [TestMethod]
    public void WordPieceFromTokenizerJsonAloneMatchesToo()
    {
        using var folder = CopyWithout(SharedFixtures.Require(MiniLm), "vocab.txt");
        var tokenizer = TransformerTokenizer.FromFolder(folder.Path);
        StringAssert.EndsWith(tokenizer.SourceFiles[0], "tokenizer.json");
        AssertWordPieceItems(tokenizer, checkDecoded: false);
    }

    [TestMethod]
    public void ByteLevelBpeMatchesGpt2TokenizerOnAllStrings()
    {
        var tokenizer = TransformerTokenizer.FromFolder(SharedFixtures.Require(TinyGpt2));
        Assert.AreEqual("gpt2", tokenizer.ModelType);
        AssertGpt2Items(tokenizer, checkDecoded: true);
    }

    [TestMethod]
    public void ByteLevelBpeFromTokenizerJsonAloneMatchesToo()
    {
        using var folder = CopyWithout(SharedFixtures.Require(TinyGpt2), "vocab.json", "merges.txt");
        var tokenizer = TransformerTokenizer.FromFolder(folder.Path);
        StringAssert.EndsWith(tokenizer.SourceFiles[0], "tokenizer.json");
        AssertGpt2Items(tokenizer, checkDecoded: false);
    }

    static void AssertWordPieceItems(TransformerTokenizer tokenizer, bool checkDecoded)
    {
        foreach (var item in Items("tokenizers/wordpiece-uncased.json"))
        {
            string text = item.GetProperty("text").GetString()!;
            string label = $"text {JsonSerializer.Serialize(text)}";
            CollectionAssert.AreEqual(Strings(item.GetProperty("tokens")), tokenizer.Tokenize(text).ToArray(), label);
            CollectionAssert.AreEqual(Ints(item.GetProperty("ids_no_special")), tokenizer.Encode(text, addSpecialTokens: false).InputIds, label);
            var inputIds = Ints(item.GetProperty("input_ids"));
            CollectionAssert.AreEqual(inputIds, tokenizer.Encode(text).InputIds, label);
            if (checkDecoded) Assert.AreEqual(item.GetProperty("decoded").GetString(), tokenizer.Decode(inputIds), label);
        }
    }

    static void AssertGpt2Items(TransformerTokenizer tokenizer, bool checkDecoded)
    {
        foreach (var item in Items("tokenizers/gpt2-bpe.json"))
        {
            string text = item.GetProperty("text").GetString()!;
            string label = $"text {JsonSerializer.Serialize(text)}";
            var ids = Ints(item.GetProperty("ids"));
            CollectionAssert.AreEqual(Strings(item.GetProperty("tokens")), tokenizer.Tokenize(text).ToArray(), label);
            CollectionAssert.AreEqual(ids, tokenizer.Encode(text).InputIds, label);
            if (checkDecoded) Assert.AreEqual(item.GetProperty("decoded").GetString(), tokenizer.Decode(ids, skipSpecialTokens: false), label);
        }
    }

    static IEnumerable<JsonElement> Items(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedFixtures.HfReference(file)));
        var items = doc.RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone()).ToList();
        Assert.AreEqual(55, items.Count);
        return items;
    }

    internal static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];

    internal static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>A temp copy of a shared folder minus some files (removed when disposed).</summary>
    static TempFolder CopyWithout(string source, params string[] excluded)
    {
        var folder = new TempFolder();
        foreach (var file in Directory.GetFiles(source))
            if (!excluded.Contains(Path.GetFileName(file)) && !file.EndsWith(".safetensors"))
                File.Copy(file, Path.Combine(folder.Path, Path.GetFileName(file)));
        return folder;
    }
}
