using Microsoft.Extensions.AI;
using Microsoft.ML;

namespace MLNet.FineTune.Tests.TextGeneration;

/// <summary>The fitted model as Microsoft.Extensions.AI's IChatClient, on a tiny random GPT-2 with the ChatML template.</summary>
[TestClass]
public class TextGenerationChatClientTests
{
    static readonly ChatMessage[] Chat = [new(ChatRole.System, "Answer with a date."), new(ChatRole.User, "March 3rd, 2021")];

    static TextGenerationTransformer Model(MLContext ml, int maxNewTokens = 10) => TinyGenerationModels.Transformer(ml, TinyGenerationModels.Gpt2 with { MaxPositions = 192 },
        generation: new TextGenerationSettings { MaxNewTokens = maxNewTokens }, format: new PromptFormat(PromptFormatKind.Chat, "chatml"));

    [TestMethod]
    public async Task ResponseIsTheGreedyGenerationOfTheRenderedChat()
    {
        var model = Model(new MLContext(seed: 1));
        using var client = model.AsChatClient();
        var response = await client.GetResponseAsync(Chat);
        var turns = new[] { new global::MLNet.FineTune.Data.ChatTurn(global::MLNet.FineTune.Data.ChatRole.System, "Answer with a date."), new global::MLNet.FineTune.Data.ChatTurn(global::MLNet.FineTune.Data.ChatRole.User, "March 3rd, 2021") };
        var prompt = model.Prompts.EncodeChat(turns, "test");
        // ChatML with the generation prompt, as HF's apply_chat_template(add_generation_prompt=True) renders it.
        Assert.AreEqual("<|im_start|>system\nAnswer with a date.<|im_end|>\n<|im_start|>user\nMarch 3rd, 2021<|im_end|>\n<|im_start|>assistant\n",
            model.Model.Package.Tokenizer.Decode(prompt));
        var expected = model.GenerateBatch([prompt], model.Generation.ToGenerationOptions(), default)[0];
        Assert.AreEqual(expected.Text, response.Text);
        Assert.AreEqual(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.AreEqual(prompt.Count, response.Usage!.InputTokenCount);
        Assert.AreEqual(expected.TokenIds.Count, response.Usage.OutputTokenCount);
        Assert.AreEqual(expected.FinishReason == global::MLNet.FineTune.Generation.FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
        Assert.AreEqual("scratch", response.ModelId);
        Assert.AreSame(model, client.GetService(typeof(TextGenerationTransformer)));
        Assert.AreEqual("MLNet.FineTune", client.GetService<ChatClientMetadata>()!.ProviderName);
    }

    [TestMethod]
    public async Task StreamingGivesTheSameTextInPieces()
    {
        using var client = Model(new MLContext(seed: 1), maxNewTokens: 16).AsChatClient();
        var whole = (await client.GetResponseAsync(Chat)).Text;
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Chat)) updates.Add(update);
        Assert.AreEqual(whole, string.Concat(updates.Select(u => u.Text)));
        Assert.IsTrue(updates.Count > 2, "streamed in several pieces");
        Assert.AreEqual(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.AreEqual(1, updates.Select(u => u.ResponseId).Distinct().Count());
    }

    [TestMethod]
    public async Task ChatOptionsMapOntoGeneration()
    {
        using var client = Model(new MLContext(seed: 1), maxNewTokens: 30).AsChatClient();
        var three = await client.GetResponseAsync(Chat, new ChatOptions { MaxOutputTokens = 3 });
        Assert.AreEqual(3, three.Usage!.OutputTokenCount);
        Assert.AreEqual(ChatFinishReason.Length, three.FinishReason);
        var sampling = new ChatOptions { Temperature = 1.5f, TopP = 0.99f, TopK = 200, Seed = 7, MaxOutputTokens = 20 };
        var a = (await client.GetResponseAsync(Chat, sampling)).Text;
        var b = (await client.GetResponseAsync(Chat, sampling.Clone())).Text;
        var c = (await client.GetResponseAsync(Chat, new ChatOptions { Temperature = 1.5f, TopP = 0.99f, TopK = 200, Seed = 8, MaxOutputTokens = 20 })).Text;
        Assert.AreEqual(a, b, "the same seed samples the same text");
        Assert.AreNotEqual(a, c, "another seed samples other text");
        var greedy = (await client.GetResponseAsync(Chat, new ChatOptions { Temperature = 0, MaxOutputTokens = 20 })).Text;
        Assert.AreEqual((await client.GetResponseAsync(Chat, new ChatOptions { MaxOutputTokens = 20 })).Text, greedy, "temperature 0 is greedy");
        var stop = greedy.Length > 4 ? greedy[2..4] : null;
        if (stop is not null)
        {
            var cut = (await client.GetResponseAsync(Chat, new ChatOptions { StopSequences = [stop], MaxOutputTokens = 20 })).Text;
            Assert.AreEqual(greedy[..greedy.IndexOf(stop, StringComparison.Ordinal)], cut);
        }
        await Assert.ThrowsExactlyAsync<ArgumentOutOfRangeException>(() => client.GetResponseAsync(Chat, new ChatOptions { TopP = 1.5f }));
    }

    [TestMethod]
    public async Task CancellationAndUnsupportedMessagesAreRefused()
    {
        using var client = Model(new MLContext(seed: 1)).AsChatClient();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAsync<OperationCanceledException>(() => client.GetResponseAsync(Chat, cancellationToken: cancelled.Token));
        await Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync(Chat, cancellationToken: cancelled.Token)) { }
        });
        var e = await Assert.ThrowsExactlyAsync<NotSupportedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.Tool, "42")]));
        StringAssert.Contains(e.Message, "tool");
    }
}
