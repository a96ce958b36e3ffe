using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// Reads a fast-tokenizer <c>tokenizer.json</c> whose model is WordPiece (with a BertNormalizer) or BPE. GPT-2/RoBERTa
/// style byte-level BPE (a lone ByteLevel pre-tokenizer, no normalizer) builds the same tokenizer as the slow files
/// would; any other BPE (the Llama family: SentencePiece-style with byte fallback, or a Split regex + ByteLevel) runs
/// the file's own normalizer / pre-tokenizer / decoder (<see cref="TokenizerJsonPipeline"/>) and post-processor
/// template. Other models (Unigram) and unknown components are rejected by name.
/// Every field is read with the type HF writes (<see cref="JsonFields"/>): a wrong or missing one is a
/// <see cref="FormatException"/> naming the file and the field.
/// </summary>
internal static class TokenizerJsonReader
{
    /// <summary>Whether the file's model is BPE (then it wins over a SentencePiece .model beside it).</summary>
    public static bool IsBpe(string json, string path) =>
        JsonFields.Parse(json, path, m => new FormatException(m)).Object("model")?.String("type") == "BPE";

    public static TransformerTokenizer Read(TokenizerFolderConfig config, string json, string path, string folder)
    {
        var root = JsonFields.Parse(json, path, m => new FormatException(m));
        var model = root.RequiredObject("model");
        string type = model.RequiredString("type");
        if (type is not ("WordPiece" or "BPE"))
            throw new NotSupportedException($"'{path}': tokenizer model type '{type}' is not supported (WordPiece and byte-level BPE are" +
                (type == "Unigram" ? "; for a Unigram model, put its SentencePiece .model file in the folder" : "") + ").");
        var pre = root.Object("pre_tokenizer");
        bool gpt2Style = type == "BPE" && pre?.String("type") == "ByteLevel" && root.Object("normalizer") is null && model.Bool("byte_fallback") != true;
        var pipeline = type == "BPE" && !gpt2Style ? TokenizerJsonPipeline.Read(root, path) : null;
        foreach (var token in AddedTokens(root, pipeline))
        {
            int known = config.AddedTokens.FindIndex(t => t.Content == token.Content);
            if (known < 0) config.AddedTokens.Add(token);
            else if (token.Normalized) config.AddedTokens[known] = config.AddedTokens[known] with { Normalized = true };
        }

        var vocab = model.IntMap("vocab") ?? throw model.WrongType("vocab", "an object of token → id", null);
        if (vocab.Count == 0) throw model.Error("vocab", "is empty.");
        if (vocab.FirstOrDefault(kv => kv.Value < 0) is { Key: not null } negative)
            throw model.Object("vocab")!.Error(negative.Key, $"is the id {negative.Value}; token ids are >= 0.");
        if (type == "WordPiece")
        {
            var n = root.Object("normalizer");
            var basic = new BertBasicTokenizer(n?.Bool("lowercase") ?? true, n?.Bool("strip_accents"), n?.Bool("handle_chinese_chars") ?? true);
            string prefix = model.String("continuing_subword_prefix") ?? "##";
            int maxChars = model.Int("max_input_chars_per_word") ?? 100;
            if (!config.SpecialTokens.ContainsKey("unk_token") && model.String("unk_token") is { } unk)
                config.SpecialTokens["unk_token"] = new AddedToken(unk, -1, true, false, false);
            return TokenizerFactory.WordPiece(config, vocab, [path], folder, prefix, maxChars, basic);
        }
        if (pipeline is not null) return PipelineBpe(config, root, model, vocab, pipeline, path, folder);
        return TokenizerFactory.ByteLevelBpe(config, vocab, ByteLevelBpe.FromMergeList(Merges(model)), [path], folder,
            pre!.Bool("add_prefix_space"));
    }

    static TransformerTokenizer PipelineBpe(TokenizerFolderConfig config, JsonFields root, JsonFields model, Dictionary<string, int> vocab,
        TokenizerJsonPipeline pipeline, string path, string folder)
    {
        if (model.String("continuing_subword_prefix") is { Length: > 0 } prefix)
            throw new NotSupportedException($"'{path}': BPE continuing_subword_prefix '{prefix}' is not supported.");
        if (model.String("end_of_word_suffix") is { Length: > 0 } suffix)
            throw new NotSupportedException($"'{path}': BPE end_of_word_suffix '{suffix}' is not supported.");
        if (model.Double("dropout") is > 0 and var dropout)
            throw new NotSupportedException($"'{path}': BPE dropout {dropout} is not supported (it makes tokenization random).");
        int? unk = null;
        if (model.String("unk_token") is { } unkToken)
        {
            unk = vocab.TryGetValue(unkToken, out int id) ? id : throw model.Error("unk_token", $"is '{unkToken}', which is not in the vocabulary.");
            if (!config.SpecialTokens.ContainsKey("unk_token")) config.SpecialTokens["unk_token"] = new AddedToken(unkToken, id, true, false, false);
        }
        var merges = Merges(model);
        foreach (var (a, b) in merges)
            if (!vocab.ContainsKey(a) || !vocab.ContainsKey(b) || !vocab.ContainsKey(a + b))
                throw model.Error("merges", $"has '{a} {b}', but '{(vocab.ContainsKey(a) ? vocab.ContainsKey(b) ? a + b : b : a)}' is not in the vocabulary.");
        var options = new PipelineBpeTransformerTokenizer.BpeOptions(unk, model.Bool("byte_fallback") ?? false, model.Bool("fuse_unk") ?? false,
            model.Bool("ignore_merges") ?? false);
        var placement = Placement(config, root.Object("post_processor"), path);
        var settings = TokenizerFactory.Settings(config, "llama", t => vocab.TryGetValue(t, out int id) ? id : null,
            vocab.Count == 0 ? 0 : Math.Max(vocab.Count, vocab.Values.Max() + 1), [path], folder, placement);
        return new PipelineBpeTransformerTokenizer(settings, vocab, ByteLevelBpe.FromMergeList(merges), pipeline, options);
    }

    /// <summary>
    /// Where special tokens go. transformers' <c>LlamaTokenizerFast</c> rebuilds the post-processor from tokenizer_config's
    /// <c>add_bos_token</c> (default true) and <c>add_eos_token</c> (default false): <c>bos A eos</c> and <c>bos A eos bos B eos</c>;
    /// every other class keeps the file's post-processor (TemplateProcessing, ByteLevel = nothing added, or a Sequence of them).
    /// </summary>
    static Func<Func<string, int?>, SpecialTokenTemplate> Placement(TokenizerFolderConfig config, JsonFields? processor, string path)
    {
        if (config.TokenizerString("tokenizer_class") is "LlamaTokenizer" or "LlamaTokenizerFast" or "CodeLlamaTokenizer" or "CodeLlamaTokenizerFast")
        {
            bool addBos = config.TokenizerBool("add_bos_token") ?? true, addEos = config.TokenizerBool("add_eos_token") ?? false;
            return special =>
            {
                int[] bos = addBos && special("bos_token") is int b ? [b] : [], eos = addEos && special("eos_token") is int e ? [e] : [];
                return new SpecialTokenTemplate(bos, eos, [.. eos, .. bos], eos, 1);
            };
        }
        var template = PostProcessorTemplate(processor, path);
        return _ => template;
    }

    static SpecialTokenTemplate PostProcessorTemplate(JsonFields? processor, string path)
    {
        if (processor is null) return SpecialTokenTemplate.None;
        string type = processor.RequiredString("type");
        switch (type)
        {
            case "ByteLevel": return SpecialTokenTemplate.None; // offsets only
            case "TemplateProcessing": return TemplateProcessing(processor);
            case "Sequence":
                var list = processor.RequiredArray("processors");
                var templates = Enumerable.Range(0, list.Count).Select(i => processor.ObjectItem("processors", list, i))
                    .Where(p => p.RequiredString("type") != "ByteLevel").Select(p => PostProcessorTemplate(p, path)).ToList();
                return templates.Count switch
                {
                    0 => SpecialTokenTemplate.None,
                    1 => templates[0],
                    _ => throw new NotSupportedException($"'{path}': a post_processor Sequence with {templates.Count} token-adding processors is not supported."),
                };
            default:
                throw new NotSupportedException($"'{path}': post_processor type '{type}' is not supported for a BPE tokenizer.json (TemplateProcessing, ByteLevel, Sequence of them).");
        }
    }

    /// <summary>
    /// A TemplateProcessing <c>single</c> ("specials $A specials") and <c>pair</c> ("the same specials $A middle $B suffix")
    /// as a <see cref="SpecialTokenTemplate"/>; B's <c>type_id</c> is the pair's second type id.
    /// </summary>
    static SpecialTokenTemplate TemplateProcessing(JsonFields processor)
    {
        var specials = processor.RequiredObject("special_tokens");
        List<List<int>> Parts(string key, out int secondType)
        {
            var items = processor.RequiredArray(key);
            var parts = new List<List<int>> { new() };
            secondType = 0;
            for (int i = 0; i < items.Count; i++)
            {
                var item = processor.ObjectItem(key, items, i);
                if (item.Object("Sequence") is { } sequence)
                {
                    if (sequence.RequiredString("id") == "B") secondType = sequence.Int("type_id") ?? 0;
                    parts.Add([]);
                }
                else if (item.Object("SpecialToken") is { } special)
                {
                    string name = special.RequiredString("id");
                    var entry = specials.Object(name) ?? throw specials.Error(name, "is missing: the template names it.");
                    parts[^1].AddRange((entry.LongArray("ids") ?? throw entry.WrongType("ids", "an array of token ids", entry.Raw("ids"))).Select(id => (int)id));
                }
                else throw item.Error("", "should hold a Sequence or a SpecialToken.");
            }
            return parts;
        }
        var single = Parts("single", out _);
        if (single.Count != 2) throw processor.Error("single", "should name the sequence $A once.");
        int second = 1;
        var pair = processor.Has("pair") ? Parts("pair", out second) : null;
        if (pair is null) return new SpecialTokenTemplate([.. single[0]], [.. single[1]], [.. single[1], .. single[0]], [.. single[1]], 1);
        if (pair.Count != 3 || !pair[0].SequenceEqual(single[0]))
            throw new NotSupportedException($"{processor.File}: a TemplateProcessing pair template that does not start like the single one ($A then $B) is not supported.");
        return new SpecialTokenTemplate([.. single[0]], [.. single[1]], [.. pair[1]], [.. pair[2]], second);
    }

    static List<AddedToken> AddedTokens(JsonFields root, TokenizerJsonPipeline? pipeline)
    {
        var tokens = new List<AddedToken>();
        if (root.Array("added_tokens") is not { } list) return tokens;
        for (int i = 0; i < list.Count; i++)
        {
            var t = root.ObjectItem("added_tokens", list, i);
            int id = t.Int("id") is int n && n >= 0 ? n : throw t.WrongType("id", "a token id >= 0", t.Raw("id"));
            if (pipeline is not null && t.Bool("single_word") == true)
                throw t.Error("single_word", "is true; added tokens that match whole words only are not supported.");
            // Matching in the normalized text only differs from matching in the input when a normalizer changes it.
            bool normalized = pipeline is { HasNormalizer: true } && (t.Bool("normalized") ?? false);
            tokens.Add(new AddedToken(t.RequiredString("content"), id, t.Bool("special") ?? false, t.Bool("lstrip") ?? false, t.Bool("rstrip") ?? false, normalized));
        }
        return tokens;
    }

    /// <summary>Merges as "a b" strings (older files) or ["a", "b"] pairs (newer files).</summary>
    static List<(string, string)> Merges(JsonFields model)
    {
        var list = model.RequiredArray("merges");
        var merges = new List<(string, string)>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            string[] parts;
            if (list[i] is System.Text.Json.Nodes.JsonArray pair)
            {
                parts = new string[pair.Count];
                for (int j = 0; j < parts.Length; j++) parts[j] = model.StringItem($"merges[{i}]", pair, j);
            }
            else parts = model.StringItem("merges", list, i).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2) throw model.Error($"merges[{i}]", $"should hold two symbols, got {list[i]!.ToJsonString()}.");
            merges.Add((parts[0], parts[1]));
        }
        return merges;
    }
}
