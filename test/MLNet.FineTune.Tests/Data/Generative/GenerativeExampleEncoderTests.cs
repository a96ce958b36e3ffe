using MLNet.FineTune.Data;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Data.Generative;

/// <summary>
/// Chat and prompt/completion examples → ids and labels on the fixture GPT-2 byte-level BPE tokenizer with ChatML's
/// special tokens added. The prompt/completion layout against Hugging Face is proven by SftTrajectoryTests.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public class GenerativeExampleEncoderTests
{
    static readonly ChatTurn[] Conversation =
    [
        new(ChatRole.System, "Be brief."),
        new(ChatRole.User, "Hi there"),
        new(ChatRole.Assistant, "Hello!"),
        new(ChatRole.User, "Bye"),
        new(ChatRole.Assistant, "Not trained", Weight: 0),
        new(ChatRole.User, "Really bye"),
        new(ChatRole.Assistant, " See you, friend."),
    ];

    [TestMethod]
    public void ChatIdsAreThoseOfTheWholeRenderingAndOfItsSegments()
    {
        var tokenizer = ChatTokenizers.Gpt2WithChatMl();
        var encoded = new GenerativeExampleEncoder(tokenizer, ChatTemplate.ChatMl, new() { MaxLength = 256 }).Encode(GenerativeExample.Chat(Conversation));
        var rendered = ChatTemplate.ChatMl.Render(Conversation, addGenerationPrompt: false);

        CollectionAssert.AreEqual(Ids(tokenizer, rendered.Text), encoded.InputIds, "ids of the whole rendered text");
        // Tokenizing piece by piece (headers, contents, markers) gives the same ids: the mask could equally come from segments.
        var pieces = new List<string>();
        foreach (var turn in Conversation)
            pieces.AddRange(["<|im_start|>", ChatTemplate.RoleName(turn.Role) + "\n", turn.Content, "<|im_end|>", "\n"]);
        CollectionAssert.AreEqual(pieces.SelectMany(p => Ids(tokenizer, p)).ToArray(), encoded.InputIds, "ids segment by segment");
        Assert.AreEqual(Conversation.Length, encoded.InputIds.Count(id => id == ChatTokenizers.ImStart));
    }

    [TestMethod]
    public void ChatLabelsCoverTrainedAssistantContentAndItsEndMarkerOnly()
    {
        var tokenizer = ChatTokenizers.Gpt2WithChatMl();
        var encoded = new GenerativeExampleEncoder(tokenizer, ChatTemplate.ChatMl, new() { MaxLength = 256 }).Encode(GenerativeExample.Chat(Conversation));
        var trained = encoded.Labels.Where(l => l != EncodedGenerativeExample.IgnoreIndex).ToArray();
        Assert.AreEqual("Hello!<|im_end|> See you, friend.<|im_end|>", tokenizer.Decode(trained, skipSpecialTokens: false));
        for (int i = 0; i < encoded.Length; i++)
            Assert.IsTrue(encoded.Labels[i] == EncodedGenerativeExample.IgnoreIndex || encoded.Labels[i] == encoded.InputIds[i], $"label {i} is its token or -100");
        Assert.AreEqual(Losses.IgnoreIndex, EncodedGenerativeExample.IgnoreIndex);

        var all = new GenerativeExampleEncoder(tokenizer, ChatTemplate.ChatMl, new() { MaxLength = 256, LossTokens = GenerativeLossTokens.AllTokens })
            .Encode(GenerativeExample.Chat(Conversation));
        CollectionAssert.AreEqual(encoded.InputIds, all.Labels, "all tokens: labels = ids");
    }

    [TestMethod]
    public void ChatPromptEndsWithTheAssistantHeader()
    {
        var tokenizer = ChatTokenizers.Gpt2WithChatMl();
        var encoder = new GenerativeExampleEncoder(tokenizer, ChatTemplate.Qwen2);
        var ids = encoder.EncodeChatPrompt([new(ChatRole.User, "Hi there")]);
        Assert.AreEqual("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
            tokenizer.Decode(ids, skipSpecialTokens: false));
        Assert.AreEqual("<|im_end|>", encoder.ChatTemplate.EndOfTurn);
    }

    [TestMethod]
    public void PromptCompletionIsPromptThenCompletionThenEos()
    {
        var tokenizer = ChatTokenizers.Gpt2WithChatMl();
        var example = GenerativeExample.PromptCompletion("Q: two plus two?\nA:", " Four.", "train.jsonl:3");
        var encoded = new GenerativeExampleEncoder(tokenizer, ChatTemplate.ChatMl).Encode(example);
        var prompt = Ids(tokenizer, example.Prompt!);
        var completion = Ids(tokenizer, example.Completion!);
        CollectionAssert.AreEqual(prompt.Concat(completion).Append(tokenizer.EosTokenId!.Value).ToArray(), encoded.InputIds);
        CollectionAssert.AreEqual(Enumerable.Repeat(-100, prompt.Length).Concat(completion).Append(tokenizer.EosTokenId!.Value).ToArray(), encoded.Labels);
        Assert.AreEqual("train.jsonl:3", encoded.Source);

        var noEos = new GenerativeExampleEncoder(tokenizer, ChatTemplate.ChatMl, new() { AppendEos = false }).Encode(example);
        Assert.AreEqual(encoded.Length - 1, noEos.Length);
    }

    [TestMethod]
    public void OverlongExamplesAreRefusedNamingTheSourceOrTruncated()
    {
        var tokenizer = ChatTokenizers.Gpt2WithChatMl();
        var example = GenerativeExample.PromptCompletion("Short prompt:", " a rather long completion that goes on and on", "data.jsonl:7");
        var full = new GenerativeExampleEncoder(tokenizer, ChatTemplate.ChatMl).Encode(example);
        var refusing = new GenerativeExampleEncoder(tokenizer, ChatTemplate.ChatMl, new() { MaxLength = 8 });
        var error = Assert.ThrowsExactly<InvalidDataException>(() => refusing.Encode(example));
        StringAssert.Contains(error.Message, "data.jsonl:7");
        StringAssert.Contains(error.Message, $"{full.Length} tokens");

        var truncated = new GenerativeExampleEncoder(tokenizer, ChatTemplate.ChatMl, new() { MaxLength = 8, Overlong = OverlongExampleHandling.Truncate }).Encode(example);
        CollectionAssert.AreEqual(full.InputIds[..8], truncated.InputIds);
        CollectionAssert.AreEqual(full.Labels[..8], truncated.Labels);

        var promptOnly = new GenerativeExampleEncoder(tokenizer, ChatTemplate.ChatMl, new() { MaxLength = 3, Overlong = OverlongExampleHandling.Truncate });
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => promptOnly.Encode(example)).Message, "no token to train on");
    }

    [TestMethod]
    public void AJinjaTemplateEncodesLikeTheBuiltInOneAndItsErrorsNameTheSource()
    {
        var tokenizer = ChatTokenizers.Gpt2WithChatMl();
        var options = new GenerativeEncodingOptions { MaxLength = 256 };
        var example = GenerativeExample.Chat(Conversation, "chat.jsonl:4");
        var builtIn = new GenerativeExampleEncoder(tokenizer, ChatTemplate.Qwen2, options).Encode(example);
        var jinja = new GenerativeExampleEncoder(tokenizer, ChatTemplate.FromJinja(JinjaChatTemplateTests.Qwen2, null, "<|im_end|>"), options).Encode(example);
        CollectionAssert.AreEqual(builtIn.InputIds, jinja.InputIds);
        CollectionAssert.AreEqual(builtIn.Labels, jinja.Labels, "prefix renderings find the same assistant tokens");

        var mistral = new GenerativeExampleEncoder(tokenizer, ChatTemplate.FromJinja(JinjaChatTemplateTests.Mistral, "<s>", "</s>"), options);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => mistral.Encode(example));
        StringAssert.Contains(error.Message, "chat.jsonl:4");
        StringAssert.Contains(error.Message, "Conversation roles must alternate");
    }

    static int[] Ids(TransformerTokenizer tokenizer, string text) =>
        tokenizer.Encode(text, maxLength: int.MaxValue, truncation: TruncationStrategy.DoNotTruncate, addSpecialTokens: false).InputIds;
}
