using System.Text.Json.Nodes;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Data.Generative;

/// <summary>The fixture GPT-2 byte-level BPE tokenizer (hf-reference/models/gpt2-bpe), optionally with chat special tokens added after its vocabulary.</summary>
internal static class ChatTokenizers
{
    public const int ImStart = 745, ImEnd = 746;

    /// <summary>GPT-2 + <c>&lt;|im_start|&gt;</c> (745) and <c>&lt;|im_end|&gt;</c> (746) as special added tokens, read from memory.</summary>
    public static TransformerTokenizer Gpt2WithChatMl() => Gpt2With(("<|im_start|>", ImStart), ("<|im_end|>", ImEnd));

    public static TransformerTokenizer Gpt2With(params (string Content, int Id)[] tokens)
    {
        var folder = SharedFixtures.HfReference("models/gpt2-bpe");
        var files = Directory.GetFiles(folder).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        var config = JsonNode.Parse(files["tokenizer_config.json"])!;
        foreach (var (content, id) in tokens)
            config["added_tokens_decoder"]![id.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                new JsonObject { ["content"] = content, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true };
        files["tokenizer_config.json"] = System.Text.Encoding.UTF8.GetBytes(config.ToJsonString());
        return TransformerTokenizer.FromFiles(files, "gpt2-bpe + chat tokens");
    }
}
