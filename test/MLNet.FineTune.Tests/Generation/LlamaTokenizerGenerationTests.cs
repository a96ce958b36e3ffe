using MLNet.FineTune.Generation;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Tests.Decoders;
using MLNet.FineTune.Tests.Tokenization;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Generation;

/// <summary>
/// The tiny Llama checkpoint of ../shared (no tokenizer of its own, 301 ids) with a test-written SentencePiece-style
/// tokenizer.json of 301 ids beside it: the folder loads like a real Llama checkpoint folder (model and tokenizer from the
/// same path) and generates text through <see cref="TextGenerator"/>.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public class LlamaTokenizerGenerationTests
{
    [TestMethod]
    public void TinyLlamaWithATokenizerJsonGeneratesText()
    {
        var source = DecoderFixtures.ModelFolder("llama-tiny");
        using var folder = new TempFolder();
        foreach (var file in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(source, file), Path.Combine(folder.Path, file));
        LlamaTokenizerJsons.Write(folder, LlamaTokenizerJsons.SentencePieceBpe(LlamaTokenizerJsons.SpStyle.LegacyNormalizer), LlamaTokenizerJsons.SentencePieceConfig());

        var tokenizer = TransformerTokenizer.FromFolder(folder.Path);
        var config = DecoderConfig.Load(Path.Combine(folder.Path, "config.json")).WithoutDropout();
        var model = PretrainedDecoder.Load(folder.Path, null, config).Model;
        model.Module.eval();
        Assert.AreEqual(config.VocabSize, tokenizer.VocabSize, "the tokenizer covers the model's embedding rows exactly");

        var prompt = tokenizer.Encode("hello world").InputIds.ToArray();
        Assert.AreEqual(1, prompt[0], "the post-processor puts <s> first, as for Llama");
        var generator = new TextGenerator(model, ids => tokenizer.Decode(ids));
        var options = new GenerationOptions { MaxNewTokens = 12, EosTokenIds = [tokenizer.EosTokenId!.Value] };
        var result = generator.Generate([prompt], options)[0];
        Console.WriteLine($"generated ids [{string.Join(", ", result.TokenIds)}] → '{result.Text}'");
        Assert.IsTrue(result.TokenIds.Count > 0 && result.TokenIds.All(id => id >= 0 && id < tokenizer.VocabSize));
        Assert.AreEqual(tokenizer.Decode(result.TokenIds), result.Text);
        Assert.IsFalse(string.IsNullOrEmpty(result.Text));
        // Random weights emit stray <0xNN> byte tokens; HF's ByteFallback decoder turns an invalid run into one U+FFFD
        // per byte, so a streamed prefix need not be a prefix of the final text (docs/design/tokenizers.md). Only the
        // batch result is compared here.
        CollectionAssert.AreEqual(result.TokenIds.ToArray(), generator.Generate([prompt], options)[0].TokenIds.ToArray(), "greedy is repeatable");
    }
}
