using MLNet.FineTune.Data;

namespace MLNet.FineTune.Tests.Data.Generative;

/// <summary>
/// The safe Jinja subset against Jinja itself. Every expected string below was produced offline with python3 and
/// jinja2 3.1.6 the way transformers renders a chat template: <c>ImmutableSandboxedEnvironment(trim_blocks=True,
/// lstrip_blocks=True).from_string(template).render(messages=..., add_generation_prompt=..., bos_token=..., eos_token=...)</c>
/// with <c>raise_exception</c> defined, using each checkpoint's published template (Qwen2-7B-Instruct,
/// Meta-Llama-3-8B-Instruct, HuggingFaceH4/zephyr-7b-beta, Mistral-7B-Instruct-v0.1) copied verbatim.
/// </summary>
[TestClass]
public class JinjaChatTemplateTests
{
    internal const string Qwen2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
    internal const string Llama3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
    internal const string Zephyr = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
    internal const string Mistral = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    internal static readonly ChatTurn[] SystemChat =
    [
        new(ChatRole.System, "You answer in French."), new(ChatRole.User, "Hello"), new(ChatRole.Assistant, " Bonjour ! "),
        new(ChatRole.User, "Thanks"), new(ChatRole.Assistant, "De rien."),
    ];

    internal static readonly ChatTurn[] UserChat = [new(ChatRole.User, "What is 2+2?"), new(ChatRole.Assistant, "4"), new(ChatRole.User, "And 3+3?")];

    static ChatTemplate Qwen2Template => ChatTemplate.FromJinja(Qwen2, null, "<|im_end|>");
    static ChatTemplate Llama3Template => ChatTemplate.FromJinja(Llama3, "<|begin_of_text|>", "<|eot_id|>");
    static ChatTemplate ZephyrTemplate => ChatTemplate.FromJinja(Zephyr, "<s>", "</s>");
    static ChatTemplate MistralTemplate => ChatTemplate.FromJinja(Mistral, "<s>", "</s>");

    [TestMethod]
    public void Qwen2RendersLikeJinja()
    {
        Assert.AreEqual("<|im_start|>system\nYou answer in French.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n Bonjour ! <|im_end|>\n<|im_start|>user\nThanks<|im_end|>\n<|im_start|>assistant\nDe rien.<|im_end|>\n",
            Qwen2Template.Render(SystemChat, false).Text);
        Assert.AreEqual("<|im_start|>system\nYou answer in French.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n Bonjour ! <|im_end|>\n<|im_start|>user\nThanks<|im_end|>\n<|im_start|>assistant\nDe rien.<|im_end|>\n<|im_start|>assistant\n",
            Qwen2Template.Render(SystemChat, true).Text);
        Assert.AreEqual("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n",
            Qwen2Template.Render(UserChat, false).Text);
        Assert.AreEqual("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n",
            Qwen2Template.Render(UserChat, true).Text);
    }

    [TestMethod]
    public void Llama3RendersLikeJinja()
    {
        Assert.AreEqual("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou answer in French.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nBonjour !<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nThanks<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nDe rien.<|eot_id|>",
            Llama3Template.Render(SystemChat, false).Text);
        Assert.AreEqual("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou answer in French.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nBonjour !<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nThanks<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nDe rien.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            Llama3Template.Render(SystemChat, true).Text);
        Assert.AreEqual("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>",
            Llama3Template.Render(UserChat, false).Text);
        Assert.AreEqual("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            Llama3Template.Render(UserChat, true).Text);
    }

    [TestMethod]
    public void ZephyrRendersLikeJinja()
    {
        Assert.AreEqual("<|system|>\nYou answer in French.</s>\n<|user|>\nHello</s>\n<|assistant|>\n Bonjour ! </s>\n<|user|>\nThanks</s>\n<|assistant|>\nDe rien.</s>\n",
            ZephyrTemplate.Render(SystemChat, false).Text);
        Assert.AreEqual("<|system|>\nYou answer in French.</s>\n<|user|>\nHello</s>\n<|assistant|>\n Bonjour ! </s>\n<|user|>\nThanks</s>\n<|assistant|>\nDe rien.</s>\n<|assistant|>\n",
            ZephyrTemplate.Render(SystemChat, true).Text);
        Assert.AreEqual("<|user|>\nWhat is 2+2?</s>\n<|assistant|>\n4</s>\n<|user|>\nAnd 3+3?</s>\n", ZephyrTemplate.Render(UserChat, false).Text);
        Assert.AreEqual("<|user|>\nWhat is 2+2?</s>\n<|assistant|>\n4</s>\n<|user|>\nAnd 3+3?</s>\n<|assistant|>\n", ZephyrTemplate.Render(UserChat, true).Text);
    }

    [TestMethod]
    public void MistralRendersLikeJinjaAndRaisesItsOwnError()
    {
        Assert.AreEqual("<s>[INST] What is 2+2? [/INST]4</s>[INST] And 3+3? [/INST]", MistralTemplate.Render(UserChat, false).Text);
        Assert.AreEqual("<s>[INST] What is 2+2? [/INST]4</s>[INST] And 3+3? [/INST]", MistralTemplate.Render(UserChat, true).Text);
        var error = Assert.ThrowsExactly<ChatTemplateException>(() => MistralTemplate.Render(SystemChat, false));
        Assert.AreEqual("The chat template refused the conversation: Conversation roles must alternate user/assistant/user/assistant/...", error.Message);
    }

    [TestMethod]
    public void BuiltInTemplatesEqualTheirPublishedJinjaTextAndSpans()
    {
        foreach (var chat in new[] { SystemChat, UserChat, SystemChat.Select((t, i) => i == 2 ? t with { Weight = 0 } : t).ToArray() })
            foreach (var (builtIn, jinja) in new[] { (ChatTemplate.Qwen2, Qwen2Template), (ChatTemplate.Llama3, Llama3Template) })
                foreach (bool generation in new[] { false, true })
                {
                    var expected = jinja.Render(chat, generation);
                    var actual = builtIn.Render(chat, generation);
                    Assert.AreEqual(expected.Text, actual.Text, $"{builtIn.Name}, generation prompt {generation}");
                    if (!generation) CollectionAssert.AreEqual(expected.TrainedSpans.ToArray(), actual.TrainedSpans.ToArray(), $"{builtIn.Name} spans");
                }
    }

    [TestMethod]
    public void PrefixRenderingsLocateEachTrainedAssistantTurn()
    {
        string[] Spans(ChatTemplate t, ChatTurn[] chat) { var r = t.Render(chat, false); return [.. r.TrainedSpans.Select(s => r.Text[s.Start..s.End])]; }
        CollectionAssert.AreEqual(new[] { " Bonjour ! </s>", "De rien.</s>" }, Spans(ZephyrTemplate, SystemChat));
        CollectionAssert.AreEqual(new[] { "4</s>" }, Spans(MistralTemplate, UserChat));
        CollectionAssert.AreEqual(new[] { "Bonjour !<|eot_id|>", "De rien.<|eot_id|>" }, Spans(Llama3Template, SystemChat));
        var weighted = SystemChat.Select((t, i) => i == 4 ? t with { Weight = 0 } : t).ToArray();
        CollectionAssert.AreEqual(new[] { " Bonjour ! </s>" }, Spans(ZephyrTemplate, weighted));
        Assert.AreEqual(0, ZephyrTemplate.Render(SystemChat, true).TrainedSpans.Count, "generation renderings carry no spans");

        var notTurnByTurn = ChatTemplate.FromJinja("{% for m in messages %}{{ m.content }}{% endfor %}({{ messages | length }})", null, null);
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => notTurnByTurn.Render(UserChat, false)).Message, "turn by turn");
    }

    [TestMethod]
    public void SubsetSemanticsFollowJinja()
    {
        // Whitespace control, trim_blocks/lstrip_blocks, conditional expressions, slices, loop.*, for/else, tests,
        // filters, methods, ~, in, // and Python's %, comments, literals; rendered by jinja2 3.1.6 as described above.
        const string template = "{%- set sys = messages[0].content if messages[0]['role'] == 'system' else 'none given' -%}\nSystem: {{ sys | upper }}\n  {% for m in messages[1:] %}\n    {%- if not loop.first %} | {% endif -%}\n    [{{ loop.index0 }}/{{ loop.length }}] {{ m.role ~ ':' ~ m['content'].strip() }}{{ '!' if 'e' in m.content else '' }}\n    {%- if loop.last and m.role is defined and tools is not defined %} (end {{ 7 // 2 }} {{ -7 % 3 }} {{ (messages | length) * 2 }}){% endif %}\n  {% else %}\nempty\n  {% endfor %}\n{# a comment #}\n  {{- ' tail ' -}}\n  {{ add_generation_prompt }} {{ none }} {{ 2.5 + 1 }} {{ [1, 2] | length }} {{ \"a\\tb\" }}{{ 'x' + \"y\" }}\n";
        var t = ChatTemplate.FromJinja(template, null, null);
        ChatTurn[] chat = [new(ChatRole.System, "be nice"), new(ChatRole.User, "  hey there "), new(ChatRole.Assistant, "ok", Weight: 0)];
        Assert.AreEqual("System: BE NICE\n[0/2] user:hey there! | [1/2] assistant:ok (end 3 2 6) tail True None 3.5 2 a\tbxy", t.Render(chat, true).Text);
        Assert.AreEqual("System: BE NICE\nempty\n tail False None 3.5 2 a\tbxy", t.Render(chat[..1], false).Text);
    }

    [TestMethod]
    public void UnsupportedConstructsAreRefusedWithTheirPosition()
    {
        (string Template, string Construct)[] cases =
        [
            ("{% macro f() %}x{% endmacro %}", "the statement '{% macro %}'"),
            ("hi\n  {{ messages | tojson }}", "the filter 'tojson'"),
            ("{{ range(3) }}", "the function 'range()'"),
            ("{% set ns = namespace(x=1) %}{% set ns.x = 2 %}", "the function 'namespace()'"),
            ("{{ messages.items() }}", "the method 'items()'"),
            ("{% for k, v in x %}{% endfor %}", "tuple unpacking"),
            ("{% include 'other.jinja' %}", "the statement '{% include %}'"),
            ("{{ x is divisibleby 3 }}", "the test 'is divisibleby'"),
        ];
        foreach (var (template, construct) in cases)
        {
            var error = Assert.ThrowsExactly<NotSupportedException>(() => ChatTemplate.FromJinja(template, null, null), template);
            StringAssert.Contains(error.Message, construct, template);
            StringAssert.Contains(error.Message, "line ", template);
        }
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => ChatTemplate.FromJinja("hi\n  {{ messages | tojson }}", null, null)).Message, "line 2, column 17");
        StringAssert.Contains(Assert.ThrowsExactly<FormatException>(() => ChatTemplate.FromJinja("{% if x %}open", null, null)).Message, "endif");
        // Untrusted templates cannot overflow the stack: deep nesting is refused, long operator chains fail cleanly.
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => ChatTemplate.FromJinja("{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}", null, null)).Message, "nesting deeper");
        var chain = ChatTemplate.FromJinja("{{ 'a'" + string.Concat(Enumerable.Repeat(" ~ 'a'", 200_000)) + " }}", null, null);
        Assert.ThrowsExactly<NotSupportedException>(() => chain.Render(UserChat, false));
        StringAssert.Contains(Assert.ThrowsExactly<FormatException>(() => ChatTemplate.FromJinja("{{ 'unclosed }}", null, null)).Message, "line 1, column 4");
    }

    [TestMethod]
    public void ACheckpointsTemplateIsReadFromTokenizerConfig()
    {
        var folder = Directory.CreateTempSubdirectory("chat-template-").FullName;
        try
        {
            Assert.IsNull(ChatTemplate.FromCheckpoint(folder), "no tokenizer_config.json");
            var config = new System.Text.Json.Nodes.JsonObject
            {
                ["bos_token"] = new System.Text.Json.Nodes.JsonObject { ["content"] = "<s>" },
                ["eos_token"] = "</s>",
                ["chat_template"] = Zephyr,
            };
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString());
            var template = ChatTemplate.FromCheckpoint(folder)!;
            Assert.AreEqual(ZephyrTemplate.Render(SystemChat, true).Text, template.Render(SystemChat, true).Text);
            Assert.AreEqual("</s>", template.EndOfTurn);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
