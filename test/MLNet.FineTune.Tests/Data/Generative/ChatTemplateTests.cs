using MLNet.FineTune.Data;

namespace MLNet.FineTune.Tests.Data.Generative;

/// <summary>
/// Built-in templates against Hugging Face's rendering. Expected strings were produced offline with python3 +
/// jinja2 3.1.6, the way transformers renders (<c>ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)</c>),
/// from each checkpoint's published <c>chat_template</c> (Qwen2-7B-Instruct's for ChatML).
/// </summary>
[TestClass]
public class ChatTemplateTests
{
    static readonly ChatTurn[] WithSystem =
    [
        new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hi there"), new(ChatRole.Assistant, "Hello!"),
        new(ChatRole.User, "Bye"), new(ChatRole.Assistant, "See you"),
    ];

    static readonly ChatTurn[] WithoutSystem = [new(ChatRole.User, "Hi there"), new(ChatRole.Assistant, "Hello!"), new(ChatRole.User, "Bye")];

    [TestMethod]
    public void ChatMlRendersLikeQwen2()
    {
        Assert.AreEqual(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nSee you<|im_end|>\n",
            ChatTemplate.Qwen2.Render(WithSystem, addGenerationPrompt: false).Text);
        Assert.AreEqual(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplate.Qwen2.Render(WithoutSystem, addGenerationPrompt: true).Text);
        Assert.AreEqual(
            "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n",
            ChatTemplate.ChatMl.Render(WithoutSystem, addGenerationPrompt: false).Text, "plain ChatML adds no system turn");
    }

    [TestMethod]
    public void TrainedSpansAreAssistantContentWithItsEndMarker()
    {
        var turns = WithSystem.Select((t, i) => i == 2 ? t with { Weight = 0 } : t).ToArray();
        var rendered = ChatTemplate.ChatMl.Render(turns, addGenerationPrompt: false);
        var spans = rendered.TrainedSpans.Select(s => rendered.Text[s.Start..s.End]).ToArray();
        CollectionAssert.AreEqual(new[] { "See you<|im_end|>" }, spans);
    }
}
