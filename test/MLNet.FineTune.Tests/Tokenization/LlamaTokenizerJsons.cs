using System.Text;
using System.Text.Json.Nodes;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>
/// Small hand-built <c>tokenizer.json</c> files in the shapes Hugging Face writes for the Llama family (no vocabulary
/// copied from anywhere): SentencePiece-style BPE as LlamaTokenizerFast / Mistral / TinyLlama serialise it (legacy
/// Prepend + Replace normalizer, or a Metaspace pre-tokenizer), and byte-level BPE as Llama-3 and Qwen2 do.
/// </summary>
internal static class LlamaTokenizerJsons
{
    /// <summary>Characters of the SentencePiece-style vocabulary; anything else falls back to bytes (or unk).</summary>
    const string SpCharacters = "▁abcdehilnorstwy中é.,!?'0123456789";

    /// <summary>Merges in learning order (each one's parts exist before it), giving 9 merged tokens.</summary>
    static readonly (string, string)[] SpMerges =
        [("▁", "t"), ("h", "e"), ("▁t", "he"), ("▁", "w"), ("o", "r"), ("l", "d"), ("▁w", "or"), ("▁wor", "ld"), ("i", "n")];

    /// <summary>The Llama-3 pre-tokenization regex (as its tokenizer.json writes it).</summary>
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The Qwen2 pre-tokenization regex (single digits).</summary>
    public const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public enum SpStyle
    {
        /// <summary>LlamaTokenizerFast legacy (TinyLlama, Mistral-7B-v0.1): normalizer Prepend "▁" + Replace " " → "▁", no pre-tokenizer.</summary>
        LegacyNormalizer,

        /// <summary>Newer Llama/Mistral conversions (legacy=false): Metaspace pre-tokenizer, prepend_scheme first, split false.</summary>
        MetaspaceFirst,

        /// <summary>Metaspace splitting into words (split true, prepend always), no byte fallback: unknown characters become a fused unk; Metaspace decoder.</summary>
        MetaspaceSplitUnk,
    }

    /// <summary>
    /// 301 ids (the size of ../shared's llama-tiny): &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, the 256 <c>&lt;0xNN&gt;</c> byte tokens,
    /// <see cref="SpCharacters"/>, then the merged tokens.
    /// </summary>
    public static JsonObject SentencePieceBpe(SpStyle style)
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (int b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = vocab.Count;
        foreach (var c in SpCharacters.EnumerateRunes()) vocab[c.ToString()] = vocab.Count;
        foreach (var (a, b) in SpMerges) vocab[a + b] = vocab.Count;
        bool fallback = style != SpStyle.MetaspaceSplitUnk;
        JsonNode? normalizer = style == SpStyle.LegacyNormalizer
            ? new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "▁" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "▁" }),
            }
            : null;
        JsonNode? pre = style switch
        {
            SpStyle.MetaspaceFirst => new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "first", ["split"] = false },
            SpStyle.MetaspaceSplitUnk => new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "always", ["split"] = true },
            _ => null,
        };
        JsonNode decoder = style == SpStyle.MetaspaceSplitUnk
            ? new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "always", ["split"] = true }
            : new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "▁" }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
            };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(Added(0, "<unk>"), Added(1, "<s>"), Added(2, "</s>")),
            ["normalizer"] = normalizer,
            ["pre_tokenizer"] = pre,
            ["post_processor"] = Template("<s>", 1),
            ["decoder"] = decoder,
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = "<unk>",
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = true,
                ["byte_fallback"] = fallback,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. SpMerges.Select(m => (JsonNode)$"{m.Item1} {m.Item2}")]),
            },
        };
    }

    /// <summary>The tokenizer_config.json beside a SentencePiece-style file (what HF writes for TinyLlama, minus the chat template).</summary>
    public static JsonObject SentencePieceConfig(string tokenizerClass = "LlamaTokenizer", bool? addEos = null) => new()
    {
        ["add_bos_token"] = true,
        ["add_eos_token"] = addEos ?? false,
        ["bos_token"] = "<s>",
        ["eos_token"] = "</s>",
        ["unk_token"] = "<unk>",
        ["pad_token"] = null,
        ["clean_up_tokenization_spaces"] = false,
        ["legacy"] = false,
        ["model_max_length"] = 2048,
        ["tokenizer_class"] = tokenizerClass,
    };

    public enum ByteLevelStyle
    {
        /// <summary>Llama-3: Split (Llama-3 regex) + ByteLevel, ignore_merges, &lt;|begin_of_text|&gt; added by the post-processor.</summary>
        Llama3,

        /// <summary>Qwen2: NFC normalizer, Split (Qwen2 regex) + ByteLevel, nothing added by the post-processor.</summary>
        Qwen2,
    }

    /// <summary>Byte-level merges in learning order, spelled in GPT-2's byte alphabet (Ġ = space, Ċ = newline, ä¸Ń = 中).</summary>
    static readonly (string, string)[] ByteMerges =
    [
        ("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("Ġ", "Ġ"), ("ĠĠ", "ĠĠ"), ("Ċ", "Ċ"), ("1", "2"),
        ("12", "3"), ("ä", "¸"), ("ä¸", "Ń"), ("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld"), ("Ã", "©"), ("a", "f"),
        ("c", "af"), ("caf", "Ã©"),
    ];

    public static readonly string[] Llama3Specials =
    [
        "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>",
        "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
    ];

    public static readonly string[] Qwen2Specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    public static JsonObject ByteLevelBpe(ByteLevelStyle style)
    {
        var alphabet = BytesToUnicode();
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[alphabet[b].ToString()] = vocab.Count;
        var merges = style == ByteLevelStyle.Llama3 ? ByteMerges : ByteMerges.Where(m => m != ("ä¸", "Ń")).ToArray();
        foreach (var (a, b) in merges) vocab[a + b] ??= vocab.Count;
        if (style == ByteLevelStyle.Llama3)
        {
            vocab["Ġhello"] = vocab.Count;      // reachable only through ignore_merges (no merge builds it)
            vocab["ä¸ŃĠ"] = vocab.Count;         // never a whole word: the regex puts the space elsewhere
        }
        int first = vocab.Count;
        var specials = style == ByteLevelStyle.Llama3 ? Llama3Specials : Qwen2Specials;
        var added = new JsonArray([.. specials.Select((s, i) => Added(first + i, s))]);
        if (style == ByteLevelStyle.Qwen2) // a non-special added token, as users add them: normalized (matched after NFC)
            added.Add(new JsonObject { ["id"] = first + specials.Length, ["content"] = "café", ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = true, ["special"] = false });
        var split = new JsonObject
        {
            ["type"] = "Split",
            ["pattern"] = new JsonObject { ["Regex"] = style == ByteLevelStyle.Llama3 ? Llama3Pattern : Qwen2Pattern },
            ["behavior"] = "Isolated",
            ["invert"] = false,
        };
        var bytePre = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false };
        var bytePost = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = style == ByteLevelStyle.Qwen2 ? new JsonObject { ["type"] = "NFC" } : null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray(split, bytePre) },
            ["post_processor"] = style == ByteLevelStyle.Llama3
                ? new JsonObject { ["type"] = "Sequence", ["processors"] = new JsonArray(bytePost, Template("<|begin_of_text|>", first)) }
                : bytePost.DeepClone(),
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = style == ByteLevelStyle.Qwen2 ? "" : null,
                ["end_of_word_suffix"] = style == ByteLevelStyle.Qwen2 ? "" : null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = style == ByteLevelStyle.Llama3,
                ["vocab"] = vocab,
                // Llama-3 files write merges as pairs, Qwen2 as "a b" strings.
                ["merges"] = new JsonArray([.. merges.Select(m => style == ByteLevelStyle.Llama3 ? (JsonNode)new JsonArray(m.Item1, m.Item2) : $"{m.Item1} {m.Item2}")]),
            },
        };
    }

    public static JsonObject ByteLevelConfig(ByteLevelStyle style) => style == ByteLevelStyle.Llama3
        ? new JsonObject
        {
            ["bos_token"] = "<|begin_of_text|>", ["eos_token"] = "<|end_of_text|>", ["clean_up_tokenization_spaces"] = false,
            ["model_max_length"] = 131072, ["tokenizer_class"] = "PreTrainedTokenizerFast",
        }
        : new JsonObject
        {
            ["bos_token"] = null, ["eos_token"] = "<|im_end|>", ["pad_token"] = "<|endoftext|>", ["clean_up_tokenization_spaces"] = false,
            ["model_max_length"] = 32768, ["tokenizer_class"] = "Qwen2Tokenizer",
        };

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="folder"/>; returns tokenizer.json's path.</summary>
    public static string Write(TempFolder folder, JsonObject tokenizer, JsonObject config)
    {
        folder.Write("tokenizer_config.json", config.ToJsonString());
        return folder.Write("tokenizer.json", tokenizer.ToJsonString());
    }

    static JsonObject Added(int id, string content) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
    };

    /// <summary>TemplateProcessing "bos $A" / "bos $A bos $B" (type id 1 for the second), as LlamaTokenizerFast writes it.</summary>
    static JsonObject Template(string bos, int id) => new()
    {
        ["type"] = "TemplateProcessing",
        ["single"] = new JsonArray(Special(bos, 0), Sequence("A", 0)),
        ["pair"] = new JsonArray(Special(bos, 0), Sequence("A", 0), Special(bos, 1), Sequence("B", 1)),
        ["special_tokens"] = new JsonObject { [bos] = new JsonObject { ["id"] = bos, ["ids"] = new JsonArray(id), ["tokens"] = new JsonArray(bos) } },
    };

    static JsonObject Special(string id, int type) => new() { ["SpecialToken"] = new JsonObject { ["id"] = id, ["type_id"] = type } };

    static JsonObject Sequence(string id, int type) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = type } };

    /// <summary>GPT-2's <c>bytes_to_unicode</c>: printable bytes stand for themselves, the others for 256 + n.</summary>
    static char[] BytesToUnicode()
    {
        var map = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
            map[b] = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF ? (char)b : (char)(256 + extra++);
        return map;
    }

    /// <summary>Strings that stress whitespace, digits, punctuation, accents, CJK, emoji, unknown characters and special tokens.</summary>
    public static readonly string[] Corpus =
    [
        "hello world", "say hello there", "the world", "The World", " leading space", "trailing space ", "  two leading", "multiple    inner   spaces",
        "   ", " ", "", "a", "\n", "line one\nline two\n\nline four", "tab\tseparated\t\tvalues", "crlf\r\nnext", " \n \n ",
        "123 4567 89", "1234567890", "3.14, -42! 12,345.67", "Wait... what?!", "he said 'twas don't I'm we'll they'VE",
        "café naïve résumé", "e\u0301 combining accent", "Ünïcödé ßtraße", "中文 text 中", "日本語のテキスト", "한국어",
        "emoji 😀👍🏽 and 🇫🇷 flag", "mixed😀中a", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters", "١٢٣ arabic digits", "Ⅻ roman", "nbsp\u00a0here",
        "zero\u200bwidth", "private \uE000 use", "ﬁ ligature", "\u0000 nul", "tabs\t \t end\t",
    ];

    /// <summary>Texts with the added tokens of each family inside.</summary>
    public static readonly string[] SpSpecialCorpus = ["<s>", "x </s> y", "<s>hello</s>", "a<s>b", "<unk> is unknown", "no < s > here"];

    public static readonly string[] Llama3SpecialCorpus =
    [
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|>", "text <|eot_id|> more", "<|reserved_special_token_1|>",
        "<|not_a_token|>",
    ];

    public static readonly string[] Qwen2SpecialCorpus =
    [
        "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n", "a <|endoftext|> b", "café au lait", "cafe\u0301 composed", "xcafé",
    ];

    static readonly string[] Pieces =
    [
        " ", "  ", "\n", "\t", "\r\n", "a", "e", "h", "l", "o", "r", "t", "w", "he", "the", "world", "in", "中", "é", "e\u0301", "😀",
        "👍🏽", "1", "23", "456", "'s", "'T", "'ll", ".", "!", "?!", "Z", "ß", "\u00a0", "𝔘", "<s>", "</s>", "<unk>", "<|eot_id|>",
        "<|begin_of_text|>", "<|im_end|>", "café", "ﬁ", "\u200b", " hello",
    ];

    /// <summary>Seeded random concatenations of <see cref="Pieces"/> (whitespace runs, merges across words, added tokens anywhere).</summary>
    public static IEnumerable<string> RandomTexts(int count, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
            yield return string.Concat(Enumerable.Range(0, random.Next(1, 16)).Select(_ => Pieces[random.Next(Pieces.Length)]));
    }

    public static string Show(string s) => string.Concat(s.Select(c => c < 0x20 || c > 0x7E ? $"\\u{(int)c:X4}" : c.ToString()));

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
