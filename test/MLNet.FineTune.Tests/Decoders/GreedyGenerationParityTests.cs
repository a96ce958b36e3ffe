using MLNet.FineTune.Generation;

namespace MLNet.FineTune.Tests.Decoders;

/// <summary>Greedy decoding against transformers' <c>generate()</c> token ids (hf-decoder/generation.json), with and without the KV cache.</summary>
[TestClass]
[TestCategory("Integration")]
public class GreedyGenerationParityTests
{
    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void Gpt2SinglePromptsGiveHuggingFaceTokens(bool useCache)
    {
        var reference = DecoderFixtures.Json("generation.json");
        var generator = new TextGenerator(DecoderFixtures.Load("gpt2-bpe"));
        foreach (var c in reference["gpt2"]!.AsArray())
        {
            var prompt = DecoderFixtures.Ids(c!["prompt_ids"]!).Select(i => (int)i).ToArray();
            var expected = DecoderFixtures.Ids(c["generated_ids"]!).Select(i => (int)i).ToArray();
            var result = generator.Generate([prompt], new GenerationOptions { MaxNewTokens = expected.Length, UseCache = useCache })[0];
            CollectionAssert.AreEqual(expected, result.TokenIds.ToArray(), $"{c["id"]} (cache {useCache})");
            Assert.AreEqual(FinishReason.Length, result.FinishReason);
        }
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void Gpt2LeftPaddedBatchGivesEachRowsTokens(bool useCache)
    {
        var batch = DecoderFixtures.Json("generation.json")["gpt2_left_padded_batch"]!;
        var ids = DecoderFixtures.Rows(batch["input_ids"]!);
        var mask = DecoderFixtures.Rows(batch["attention_mask"]!);
        var prompts = ids.Select((row, r) => (IReadOnlyList<int>)row.Where((_, i) => mask[r][i] == 1).Select(t => (int)t).ToArray()).ToList();
        var expected = DecoderFixtures.Rows(batch["generated_ids"]!);
        var results = new TextGenerator(DecoderFixtures.Load("gpt2-bpe")).Generate(prompts, new GenerationOptions { MaxNewTokens = expected[0].Length, UseCache = useCache });
        for (int r = 0; r < expected.Length; r++)
            CollectionAssert.AreEqual(expected[r].Select(t => (int)t).ToArray(), results[r].TokenIds.ToArray(), $"row {r} (cache {useCache})");
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void LlamaPromptsGiveHuggingFaceTokens(bool useCache)
    {
        var generator = new TextGenerator(DecoderFixtures.Load("llama-tiny"));
        foreach (var c in DecoderFixtures.Json("generation.json")["llama"]!.AsArray())
        {
            var prompt = DecoderFixtures.Ids(c!["prompt_ids"]!).Select(i => (int)i).ToArray();
            var expected = DecoderFixtures.Ids(c["generated_ids"]!).Select(i => (int)i).ToArray();
            var options = new GenerationOptions { MaxNewTokens = expected.Length, UseCache = useCache, EosTokenIds = [] };
            CollectionAssert.AreEqual(expected, generator.Generate([prompt], options)[0].TokenIds.ToArray(), $"{c["id"]} (cache {useCache})");
        }
    }

    [TestMethod]
    public void LlamaPromptsOfDifferentLengthsBatchedGiveTheSingleResults()
    {
        var cases = DecoderFixtures.Json("generation.json")["llama"]!.AsArray();
        var prompts = cases.Select(c => (IReadOnlyList<int>)DecoderFixtures.Ids(c!["prompt_ids"]!).Select(i => (int)i).ToArray()).ToList();
        var results = new TextGenerator(DecoderFixtures.Load("llama-tiny")).Generate(prompts, new GenerationOptions { MaxNewTokens = 16, EosTokenIds = [] });
        for (int r = 0; r < cases.Count; r++)
            CollectionAssert.AreEqual(DecoderFixtures.Ids(cases[r]!["generated_ids"]!).Select(i => (int)i).ToArray(), results[r].TokenIds.ToArray(), $"row {r}");
    }
}
