using MLNet.FineTune.Tokenization;
using static MLNet.FineTune.Tests.Tokenization.LlamaTokenizerJsons;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>
/// Llama-family <c>tokenizer.json</c> files read through <see cref="TransformerTokenizer.FromFolder"/> give, id for id,
/// what Hugging Face's Rust <c>tokenizers</c> (0.22, through the Tokenizers.DotNet wrapper: <c>encode(text,
/// add_special_tokens=True)</c> and <c>decode(ids, skip_special_tokens=True)</c>) gives for the same file, over a corpus
/// of whitespace, digits, punctuation, accents, CJK, emoji (byte fallback), unknown characters and added tokens inside
/// text. The files are written by the test (<see cref="LlamaTokenizerJsons"/>).
/// </summary>
[TestClass]
public class LlamaTokenizerJsonTests
{
    [TestMethod]
    [DataRow(nameof(SpStyle.LegacyNormalizer))]
    [DataRow(nameof(SpStyle.MetaspaceFirst))]
    [DataRow(nameof(SpStyle.MetaspaceSplitUnk))]
    public void SentencePieceStyleMatchesHuggingFaceIdForId(string styleName)
    {
        var style = Enum.Parse<SpStyle>(styleName);
        using var folder = new TempFolder();
        var path = Write(folder, SentencePieceBpe(style), SentencePieceConfig(tokenizerClass: "PreTrainedTokenizerFast"));
        CompareWithReference(folder.Path, path, [.. Corpus, .. SpSpecialCorpus, .. RandomTexts(300, seed: 1)]);
    }

    [TestMethod]
    [DataRow(nameof(ByteLevelStyle.Llama3))]
    [DataRow(nameof(ByteLevelStyle.Qwen2))]
    public void ByteLevelStyleMatchesHuggingFaceIdForId(string styleName)
    {
        var style = Enum.Parse<ByteLevelStyle>(styleName);
        using var folder = new TempFolder();
        var path = Write(folder, ByteLevelBpe(style), ByteLevelConfig(style));
        var specials = style == ByteLevelStyle.Llama3 ? Llama3SpecialCorpus : Qwen2SpecialCorpus;
        var tokenizer = CompareWithReference(folder.Path, path, [.. Corpus, .. specials, .. RandomTexts(300, seed: 2)]);
        // " hello" is in the vocabulary but no merge builds it: one token only where ignore_merges is set (Llama-3).
        var hello = tokenizer.Tokenize("say hello").ToArray();
        CollectionAssert.AreEqual(style == ByteLevelStyle.Llama3 ? new[] { "s", "a", "y", "Ġhello" } : ["s", "a", "y", "Ġ", "he", "l", "l", "o"], hello, string.Join(" ", hello));
        // Byte-level BPE loses nothing: decode(encode(x)) == x (NFC aside), except around Qwen2's added token "café": its
        // content goes through the ByteLevel decoder too, where "é" reads as the byte 0xE9 (HF decodes it to U+FFFD as well).
        foreach (var text in Corpus.Where(t => !t.Contains("café", StringComparison.Ordinal) || style == ByteLevelStyle.Llama3))
        {
            var expected = style == ByteLevelStyle.Qwen2 ? text.Normalize(System.Text.NormalizationForm.FormC) : text;
            Assert.AreEqual(expected, tokenizer.Decode(tokenizer.Encode(text, maxLength: 100_000).InputIds), Show(text));
        }
    }

    /// <summary>Encodes and decodes every text with ours and with HF's Rust library; returns our tokenizer.</summary>
    static TransformerTokenizer CompareWithReference(string folder, string tokenizerJson, IEnumerable<string> texts)
    {
        var ours = TransformerTokenizer.FromFolder(folder);
        using var reference = new Tokenizers.DotNet.Tokenizer(tokenizerJson);
        int compared = 0;
        foreach (var text in texts)
        {
            var expected = reference.Encode(text).Select(id => (int)id).ToArray();
            var actual = ours.Encode(text, maxLength: 100_000).InputIds.ToArray();
            CollectionAssert.AreEqual(expected, actual,
                $"'{Show(text)}': HF [{string.Join(", ", expected)}] ours [{string.Join(", ", actual)}] = {string.Join(" ", ours.Tokenize(text))}");
            Assert.AreEqual(reference.Decode([.. expected.Select(i => (uint)i)]), ours.Decode(expected), $"decode of '{Show(text)}'");
            compared++;
        }
        Console.WriteLine($"{Path.GetFileName(folder)}: {compared} texts id for id");
        return ours;
    }

    [TestMethod]
    public void DecodeMatchesHuggingFaceOnAnyIds()
    {
        // Generated ids need not form valid UTF-8 or whole words: lone byte tokens, a byte run cut mid-character,
        // "▁" alone, unk, special tokens in the middle.
        using var folder = new TempFolder();
        var path = Write(folder, SentencePieceBpe(SpStyle.LegacyNormalizer), SentencePieceConfig());
        var ours = TransformerTokenizer.FromFolder(folder.Path);
        using var reference = new Tokenizers.DotNet.Tokenizer(path);
        int[][] sequences =
        [
            [0xE4 + 3, 0xB8 + 3], [0xE4 + 3, 0xB8 + 3, 0xAD + 3], [0xFF + 3], [300, 0xC3 + 3, 1, 0xA9 + 3, 2], [0, 0, 259], [259, 259, 259],
            [1, 2], [291, 259, 0x41 + 3, 0x0A + 3, 0x20 + 3],
        ];
        foreach (var ids in sequences)
            Assert.AreEqual(reference.Decode([.. ids.Select(i => (uint)i)]), ours.Decode(ids), string.Join(",", ids));

        using var byteLevelFolder = new TempFolder();
        var byteLevelPath = Write(byteLevelFolder, ByteLevelBpe(ByteLevelStyle.Llama3), ByteLevelConfig(ByteLevelStyle.Llama3));
        var byteLevel = TransformerTokenizer.FromFolder(byteLevelFolder.Path);
        using var byteReference = new Tokenizers.DotNet.Tokenizer(byteLevelPath);
        int[][] byteSequences = [[161, 5], [200, 201, 202], [256, 257, 258, 259, 260], [280, 40, 288], [0xE4 - 0xA1 + 94]];
        foreach (var ids in byteSequences)
            Assert.AreEqual(byteReference.Decode([.. ids.Select(i => (uint)i)]), byteLevel.Decode(ids), string.Join(",", ids));
    }

    [TestMethod]
    public void OffsetsPointIntoTheInput()
    {
        using var folder = new TempFolder();
        Write(folder, SentencePieceBpe(SpStyle.LegacyNormalizer), SentencePieceConfig());
        var tokenizer = TransformerTokenizer.FromFolder(folder.Path);
        const string text = "hello 中 world";
        var encoded = tokenizer.Encode(text);
        var tokens = tokenizer.Tokenize(text);
        CollectionAssert.AreEqual(new[] { "▁", "he", "l", "l", "o", "▁", "中", "▁world" }, tokens.ToArray());
        var spans = encoded.Offsets.Skip(1).Select(o => text[o.Start..o.End]).ToArray(); // after <s>
        CollectionAssert.AreEqual(new[] { "h", "he", "l", "l", "o", " ", "中", " world" }, spans, string.Join("|", spans));

        using var byteFolder = new TempFolder();
        Write(byteFolder, ByteLevelBpe(ByteLevelStyle.Qwen2), ByteLevelConfig(ByteLevelStyle.Qwen2));
        var qwen = TransformerTokenizer.FromFolder(byteFolder.Path);
        const string composed = "e\u0301 😀";
        var pieces = qwen.Encode(composed).Offsets.Select(o => composed[o.Start..o.End]).ToArray();
        CollectionAssert.AreEqual(new[] { "e\u0301", " ", "😀", "😀", "😀", "😀" }, pieces, string.Join("|", pieces.Select(Show))); // é is one merged token
    }

    [TestMethod]
    public void LlamaTokenizerClassPlacesBosAndEosFromTheConfig()
    {
        // transformers' LlamaTokenizerFast rebuilds the post-processor from add_bos_token / add_eos_token.
        using var folder = new TempFolder();
        Write(folder, SentencePieceBpe(SpStyle.LegacyNormalizer), SentencePieceConfig("LlamaTokenizerFast", addEos: true));
        var tokenizer = TransformerTokenizer.FromFolder(folder.Path);
        var single = tokenizer.Encode("the").InputIds.ToArray();
        CollectionAssert.AreEqual(new[] { 1, tokenizer.TokenToId("▁the")!.Value, 2 }, single);
        var pair = tokenizer.Encode("the", "the").InputIds.ToArray();
        CollectionAssert.AreEqual(new[] { 1, single[1], 2, 1, single[1], 2 }, pair);
        Assert.AreEqual("llama", tokenizer.ModelType);
        Assert.AreEqual(2048, tokenizer.MaxLength);
        Assert.AreEqual(2, tokenizer.EosTokenId);
    }

    [TestMethod]
    public void BpeTokenizerJsonWinsOverASentencePieceModelBesideIt()
    {
        using var folder = new TempFolder();
        Write(folder, SentencePieceBpe(SpStyle.LegacyNormalizer), SentencePieceConfig());
        folder.Write("tokenizer.model", "not read: the BPE tokenizer.json is what Hugging Face loads");
        var tokenizer = TransformerTokenizer.FromFolder(folder.Path);
        CollectionAssert.AreEqual(new[] { "▁world" }, tokenizer.Tokenize("world").ToArray());
        CollectionAssert.Contains(tokenizer.SourceFiles.Select(Path.GetFileName).ToList(), "tokenizer.json");
    }

    [TestMethod]
    [DataRow("normalizer", """{"type":"Lowercase"}""", "normalizer type 'Lowercase'")]
    [DataRow("normalizer", """{"type":"Replace","pattern":{"Regex":" +"},"content":"▁"}""", "Replace with a Regex pattern")]
    [DataRow("pre_tokenizer", """{"type":"Whitespace"}""", "pre-tokenizer type 'Whitespace'")]
    [DataRow("pre_tokenizer", """{"type":"Split","pattern":{"Regex":"a"},"behavior":"Contiguous","invert":false}""", "Split behavior 'Contiguous'")]
    [DataRow("pre_tokenizer", """{"type":"Sequence","pretokenizers":[{"type":"ByteLevel"},{"type":"Metaspace","replacement":"▁"}]}""", "after ByteLevel")]
    [DataRow("decoder", """{"type":"WordPiece","prefix":"##"}""", "decoder type 'WordPiece'")]
    [DataRow("post_processor", """{"type":"BertProcessing","sep":["</s>",2],"cls":["<s>",1]}""", "post_processor type 'BertProcessing'")]
    public void UnsupportedComponentsAreRefusedByName(string key, string json, string expected)
    {
        using var folder = new TempFolder();
        var tokenizer = SentencePieceBpe(SpStyle.LegacyNormalizer);
        tokenizer[key] = System.Text.Json.Nodes.JsonNode.Parse(json);
        Write(folder, tokenizer, SentencePieceConfig("PreTrainedTokenizerFast")); // LlamaTokenizerFast would not read the post-processor
        var error = Assert.ThrowsExactly<NotSupportedException>(() => TransformerTokenizer.FromFolder(folder.Path));
        StringAssert.Contains(error.Message, expected);
        StringAssert.Contains(error.Message, "tokenizer.json");
    }

    [TestMethod]
    public void UnigramAndBpeOptionsWeDoNotRunAreRefusedByName()
    {
        using var folder = new TempFolder();
        var unigram = SentencePieceBpe(SpStyle.LegacyNormalizer);
        unigram["model"] = System.Text.Json.Nodes.JsonNode.Parse("""{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0.0]]}""");
        Write(folder, unigram, SentencePieceConfig());
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => TransformerTokenizer.FromFolder(folder.Path)).Message, "'Unigram'");

        var dropout = SentencePieceBpe(SpStyle.LegacyNormalizer);
        dropout["model"]!["dropout"] = 0.1;
        Write(folder, dropout, SentencePieceConfig());
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => TransformerTokenizer.FromFolder(folder.Path)).Message, "dropout 0.1");

        var prefix = SentencePieceBpe(SpStyle.LegacyNormalizer);
        prefix["model"]!["continuing_subword_prefix"] = "##";
        Write(folder, prefix, SentencePieceConfig());
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => TransformerTokenizer.FromFolder(folder.Path)).Message, "continuing_subword_prefix '##'");

        var singleWord = SentencePieceBpe(SpStyle.LegacyNormalizer);
        singleWord["added_tokens"]![1]!["single_word"] = true;
        Write(folder, singleWord, SentencePieceConfig());
        StringAssert.Contains(Assert.ThrowsExactly<FormatException>(() => TransformerTokenizer.FromFolder(folder.Path)).Message, "single_word");
    }
}
