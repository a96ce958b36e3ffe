using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>
/// Issue #12 item 1: every tokenizer accepts any .NET string. Hostile and seeded random UTF-16 (unpaired surrogates,
/// non-BMP, controls, combining marks, very long words) through every tokenizer kind: no exception, every id inside the
/// vocabulary, every offset inside the text. Unpaired surrogates read as U+FFFD, as Hugging Face's tokenizers read them.
/// </summary>
[TestClass]
public class UnicodeRobustnessTests
{
    public static IEnumerable<object[]> Kinds => TokenizerKinds.All.Select(k => new object[] { k.Name });

    internal static TransformerTokenizer Load(string kind, TempFolder folder)
    {
        TokenizerKinds.All.Single(k => k.Name == kind).Write(folder.Path);
        return TransformerTokenizer.FromFolder(folder.Path);
    }

    /// <summary>Encodes <paramref name="text"/> every way the library does and checks ids and offsets.</summary>
    internal static void AssertEncodesSafely(TransformerTokenizer tokenizer, string text, string label)
    {
        var single = tokenizer.Encode(text, maxLength: 64);
        AssertValid(tokenizer, single, text, text, label);
        var pair = tokenizer.Encode(text, "a pair \uD800 text", maxLength: 64);
        AssertValid(tokenizer, pair, text, "a pair \uD800 text", label + " (pair)");
        var untruncated = tokenizer.Encode(text, truncation: TruncationStrategy.DoNotTruncate, addSpecialTokens: false);
        AssertValid(tokenizer, untruncated, text, text, label + " (not truncated)");
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var byWord = tokenizer.EncodeWords(words, maxLength: 64);
        for (int i = 0; i < byWord.Length; i++)
        {
            Assert.IsTrue(byWord.InputIds[i] >= 0 && byWord.InputIds[i] < tokenizer.VocabSize, $"{label}: word id {byWord.InputIds[i]}");
            if (byWord.WordIds[i] is int w)
            {
                Assert.IsTrue(w < words.Length, $"{label}: word index {w} of {words.Length}");
                var (s, e) = byWord.Offsets[i];
                Assert.IsTrue(0 <= s && s <= e && e <= words[w].Length, $"{label}: word offset ({s}, {e}) in a word of {words[w].Length}");
            }
        }
        _ = tokenizer.Tokenize(text);
        _ = tokenizer.Decode(untruncated.InputIds);
    }

    static void AssertValid(TransformerTokenizer tokenizer, EncodedInput e, string first, string second, string label)
    {
        for (int i = 0; i < e.Length; i++)
        {
            Assert.IsTrue(e.InputIds[i] >= 0 && e.InputIds[i] < tokenizer.VocabSize, $"{label}: id {e.InputIds[i]} outside 0..{tokenizer.VocabSize - 1}");
            var (s, end) = e.Offsets[i];
            int length = e.SequenceIds[i] == 1 ? second.Length : first.Length;
            Assert.IsTrue(0 <= s && s <= end && end <= length, $"{label}: offset ({s}, {end}) outside a text of {length}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Kinds))]
    public void HostileStringsTokenize(string kind)
    {
        using var folder = new TempFolder();
        var tokenizer = Load(kind, folder);
        foreach (var (name, text) in HostileStrings.Named) AssertEncodesSafely(tokenizer, text, $"{kind}/{name}");
    }

    [TestMethod]
    [DynamicData(nameof(Kinds))]
    public void SeededRandomStringsTokenize(string kind)
    {
        using var folder = new TempFolder();
        var tokenizer = Load(kind, folder);
        var random = new Random(12);
        for (int i = 0; i < 300; i++)
        {
            var text = HostileStrings.Random(random);
            AssertEncodesSafely(tokenizer, text, $"{kind}/random {i} ({string.Join(" ", text.Take(40).Select(c => ((int)c).ToString("X4")))})");
        }
    }

    [TestMethod]
    public void AnUnpairedSurrogateReadsAsTheReplacementCharacter()
    {
        using var folder = new TempFolder();
        var bpe = Load("bpe-gpt2", folder);
        // UTF-8 of U+FFFD (EF BF BD) as GPT-2 byte-level characters, as HF gives for "\ud800".encode("utf-8", "replace").
        CollectionAssert.AreEqual(bpe.Tokenize("a\uFFFDb").ToArray(), bpe.Tokenize("a\uD800b").ToArray());
        var e = bpe.Encode("a\uDC00", addSpecialTokens: false);
        Assert.AreEqual((1, 2), e.Offsets[^1]);

        using var wpFolder = new TempFolder();
        var wordPiece = Load("wordpiece", wpFolder);
        // BERT's clean_text drops U+FFFD, so a lone surrogate vanishes like it.
        CollectionAssert.AreEqual(new[] { "hello", "world" }, wordPiece.Tokenize("hello\uD83D world\uDE00").ToArray());
    }

    [TestMethod]
    public void ByteLevelBpeMergesAMillionByteWordQuickly()
    {
        using var folder = new TempFolder();
        var bpe = Load("bpe-gpt2", folder);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var tokens = bpe.Tokenize(string.Concat(Enumerable.Repeat("ab", 500_000)));
        Assert.AreEqual(500_000, tokens.Count);
        Assert.IsTrue(tokens.All(t => t == "ab"));
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [TestMethod]
    public void BuiltInVocabularyKeepsEmojiAndSurrogatesWhole()
    {
        var vocab = MLNet.FineTune.Modeling.BuiltInModel.BuildVocabulary(["great 😀 movie \uD83D x", "CAFÉ 𠀀!"], 100);
        Assert.IsFalse(vocab.Any(v => v.Any(char.IsSurrogate) && !v.EnumerateRunes().Any(r => r.IsBmp == false)), "a token holds half a surrogate pair");
        CollectionAssert.Contains(vocab, "😀");
        CollectionAssert.Contains(vocab, "##😀");
        CollectionAssert.Contains(vocab, "cafe"); // lower-cased and accent-stripped like the tokenizer does
        CollectionAssert.Contains(vocab, "𠀀");
    }
}
