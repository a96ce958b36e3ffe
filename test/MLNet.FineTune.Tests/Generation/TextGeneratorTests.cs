using MLNet.FineTune.Generation;

namespace MLNet.FineTune.Tests.Generation;

/// <summary>Sampling, the KV cache, stop sequences, streaming and cancellation on small random decoders.</summary>
[TestClass]
public class TextGeneratorTests
{
    static readonly IReadOnlyList<int>[] Prompts = [[3, 7, 1], [5], [2, 9, 4, 4, 8]];

    [TestMethod]
    public void SameSeedSameTokensOtherSeedOtherTokens()
    {
        var generator = new TextGenerator(TinyDecoders.Create(TinyDecoders.Gpt2Config));
        var options = new GenerationOptions { DoSample = true, Temperature = 1.5, TopP = 0.95, MaxNewTokens = 20, Seed = 7 };
        var first = generator.Generate(Prompts, options).Select(r => r.TokenIds.ToArray()).ToList();
        // Draws on the global generator in between must not change a seeded generation.
        _ = TorchSharp.torch.rand(10);
        var again = generator.Generate(Prompts, options).Select(r => r.TokenIds.ToArray()).ToList();
        var other = generator.Generate(Prompts, options with { Seed = 8 }).Select(r => r.TokenIds.ToArray()).ToList();
        for (int r = 0; r < Prompts.Length; r++) CollectionAssert.AreEqual(first[r], again[r], $"row {r}");
        Assert.IsTrue(Enumerable.Range(0, Prompts.Length).Any(r => !first[r].SequenceEqual(other[r])), "another seed gave the same 60 tokens");
    }

    [TestMethod]
    public void TopKOfOneSamplesTheGreedyTokens()
    {
        var generator = new TextGenerator(TinyDecoders.Create(TinyDecoders.LlamaConfig));
        var greedy = generator.Generate(Prompts, new GenerationOptions { MaxNewTokens = 12 });
        var sampled = generator.Generate(Prompts, new GenerationOptions { MaxNewTokens = 12, DoSample = true, TopK = 1, Seed = 3 });
        for (int r = 0; r < Prompts.Length; r++) CollectionAssert.AreEqual(greedy[r].TokenIds.ToArray(), sampled[r].TokenIds.ToArray(), $"row {r}");
    }

    [TestMethod]
    [DataRow("llama", null)]
    [DataRow("mistral", 3)]
    [DataRow("gpt2", null)]
    public void CacheGivesTheTokensOfRecomputation(string type, int? window)
    {
        var config = type == "gpt2" ? TinyDecoders.Gpt2Config : TinyDecoders.LlamaConfig with { ModelType = type, SlidingWindow = window };
        var generator = new TextGenerator(TinyDecoders.Create(config, seed: 5));
        var options = new GenerationOptions { MaxNewTokens = 15, DoSample = true, Seed = 11, RepetitionPenalty = 1.3 };
        var cached = generator.Generate(Prompts, options);
        var recomputed = generator.Generate(Prompts, options with { UseCache = false });
        for (int r = 0; r < Prompts.Length; r++) CollectionAssert.AreEqual(recomputed[r].TokenIds.ToArray(), cached[r].TokenIds.ToArray(), $"{type} row {r}");
    }

    [TestMethod]
    public void BatchedRowsEqualSingleRows()
    {
        var generator = new TextGenerator(TinyDecoders.Create(TinyDecoders.LlamaConfig));
        var options = new GenerationOptions { MaxNewTokens = 10 };
        var batched = generator.Generate(Prompts, options);
        for (int r = 0; r < Prompts.Length; r++)
            CollectionAssert.AreEqual(generator.Generate([Prompts[r]], options)[0].TokenIds.ToArray(), batched[r].TokenIds.ToArray(), $"row {r}");
    }

    [TestMethod]
    public void EosEndsARowAndIsNotReturned()
    {
        var generator = new TextGenerator(TinyDecoders.Create(TinyDecoders.Gpt2Config), TinyDecoders.Letters);
        var free = generator.Generate([Prompts[0]], new GenerationOptions { MaxNewTokens = 10, EosTokenIds = [] })[0];
        int eos = free.TokenIds[3];
        var stopped = generator.Generate([Prompts[0]], new GenerationOptions { MaxNewTokens = 10, EosTokenIds = [eos] })[0];
        int first = free.TokenIds.ToList().IndexOf(eos);
        CollectionAssert.AreEqual(free.TokenIds.Take(first).ToArray(), stopped.TokenIds.ToArray());
        Assert.AreEqual(FinishReason.EndOfSequence, stopped.FinishReason);
    }

    [TestMethod]
    public void StopSequenceCutsTheText()
    {
        var generator = new TextGenerator(TinyDecoders.Create(TinyDecoders.Gpt2Config), TinyDecoders.Letters);
        var free = generator.Generate([Prompts[2]], new GenerationOptions { MaxNewTokens = 12 })[0];
        Assert.AreEqual(12, free.Text!.Length);
        var stop = free.Text.Substring(5, 2);
        int at = free.Text.IndexOf(stop, StringComparison.Ordinal);
        var stopped = generator.Generate([Prompts[2]], new GenerationOptions { MaxNewTokens = 12, StopSequences = ["never there", stop] })[0];
        Assert.AreEqual(free.Text[..at], stopped.Text);
        Assert.AreEqual(FinishReason.StopSequence, stopped.FinishReason);
        Assert.AreEqual(at + stop.Length, stopped.TokenIds.Count, "generation ends at the token completing the stop sequence");
    }

    [TestMethod]
    public async Task StreamingYieldsTheGeneratedTextInPieces()
    {
        var generator = new TextGenerator(TinyDecoders.Create(TinyDecoders.Gpt2Config), TinyDecoders.Letters);
        var options = new GenerationOptions { MaxNewTokens = 12 };
        var whole = generator.Generate([Prompts[1]], options)[0].Text!;
        var pieces = new List<string>();
        await foreach (var piece in generator.StreamAsync(Prompts[1], options)) pieces.Add(piece);
        Assert.AreEqual(whole, string.Concat(pieces));
        Assert.AreEqual(12, pieces.Count, "one piece per token with a one-character-per-token decoder");

        var stop = whole.Substring(6, 2);
        var stopped = new List<string>();
        await foreach (var piece in generator.StreamAsync(Prompts[1], options with { StopSequences = [stop] })) stopped.Add(piece);
        Assert.AreEqual(whole[..whole.IndexOf(stop, StringComparison.Ordinal)], string.Concat(stopped), "the stream never shows a stop sequence");
    }

    [TestMethod]
    public async Task CancellationStopsTheStream()
    {
        var generator = new TextGenerator(TinyDecoders.Create(TinyDecoders.Gpt2Config), TinyDecoders.Letters);
        using var cancel = new CancellationTokenSource();
        var pieces = new List<string>();
        await Assert.ThrowsExactlyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var piece in generator.StreamAsync(Prompts[0], new GenerationOptions { MaxNewTokens = 30 }, cancel.Token))
            {
                pieces.Add(piece);
                if (pieces.Count == 3) cancel.Cancel();
            }
        });
        Assert.AreEqual(3, pieces.Count);
    }

    [TestMethod]
    public void CancelledBatchEndsEveryRow()
    {
        var generator = new TextGenerator(TinyDecoders.Create(TinyDecoders.Gpt2Config));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var results = generator.Generate(Prompts, new GenerationOptions { MaxNewTokens = 30 }, cancel.Token);
        Assert.IsTrue(results.All(r => r.FinishReason == FinishReason.Cancelled && r.TokenIds.Count == 0));
    }

    [TestMethod]
    public void HeldBackCoversAPossibleStopPrefixAndAnUnfinishedCharacter()
    {
        Assert.AreEqual(3, TextGenerator.HeldBack("hello wor", ["world"]));
        Assert.AreEqual(0, TextGenerator.HeldBack("hello", ["world"]));
        Assert.AreEqual(1, TextGenerator.HeldBack("abc\uFFFD", []));
    }

    [TestMethod]
    public void Gpt2RefusesMoreTokensThanPositions()
    {
        var generator = new TextGenerator(TinyDecoders.Create(TinyDecoders.Gpt2Config));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => generator.Generate([Prompts[0]], new GenerationOptions { MaxNewTokens = 62 }));
        StringAssert.Contains(e.Message, "MaxNewTokens");
    }
}
