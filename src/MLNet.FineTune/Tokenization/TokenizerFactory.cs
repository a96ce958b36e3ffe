namespace MLNet.FineTune.Tokenization;

/// <summary>Turns a folder's files into a tokenizer: added/special token ids, model type, template, limits.</summary>
internal static class TokenizerFactory
{
    static readonly HashSet<string> RobertaStyle = ["roberta", "xlm-roberta", "camembert", "bart", "longformer", "mpnet"];
    static readonly HashSet<string> NoSpecialsStyle = ["gpt2", "gpt_neo", "gptj", "gpt_neox", "codegen", "llama", "mistral", "qwen2", "phi"];

    public static TransformerTokenizer WordPiece(TokenizerFolderConfig config, Dictionary<string, int> vocab, List<string> files,
        string folder, string continuingPrefix = "##", int maxCharsPerWord = 100, BertBasicTokenizer? basic = null)
    {
        AddClassDefaults(config, vocab, BertDefaults);
        var settings = Settings(config, "bert", t => vocab.TryGetValue(t, out int id) ? id : null, vocab.Count, files, folder);
        string unk = config.SpecialTokens.GetValueOrDefault("unk_token")?.Content ?? "[UNK]";
        basic ??= new BertBasicTokenizer(config.TokenizerBool("do_lower_case") ?? true, config.TokenizerBool("strip_accents"),
            config.TokenizerBool("tokenize_chinese_chars") ?? true);
        return new WordPieceTransformerTokenizer(settings, new WordPieceVocabulary(vocab, unk, continuingPrefix, maxCharsPerWord), basic);
    }

    public static TransformerTokenizer ByteLevelBpe(TokenizerFolderConfig config, Dictionary<string, int> vocab,
        Dictionary<(string, string), int> ranks, List<string> files, string folder, bool? addPrefixSpace = null)
    {
        bool roberta = config.ModelType is { } type ? RobertaStyle.Contains(type)
            : config.TokenizerString("tokenizer_class")?.StartsWith("Roberta", StringComparison.Ordinal) ?? vocab.ContainsKey("<s>");
        AddClassDefaults(config, vocab, roberta ? RobertaDefaults : Gpt2Defaults);
        bool hasClsSep = config.SpecialTokens.ContainsKey("cls_token") && config.SpecialTokens.ContainsKey("sep_token");
        var settings = Settings(config, hasClsSep ? "roberta" : "gpt2", t => vocab.TryGetValue(t, out int id) ? id : null, vocab.Count, files, folder);
        string unk = config.SpecialTokens.GetValueOrDefault("unk_token")?.Content ?? "<|endoftext|>";
        return new ByteLevelBpeTransformerTokenizer(settings, new ByteLevelBpe(vocab, ranks), unk,
            addPrefixSpace ?? config.TokenizerBool("add_prefix_space") ?? false);
    }

    static readonly (string Key, string Token)[] BertDefaults =
        [("unk_token", "[UNK]"), ("sep_token", "[SEP]"), ("pad_token", "[PAD]"), ("cls_token", "[CLS]"), ("mask_token", "[MASK]")];
    static readonly (string Key, string Token)[] RobertaDefaults =
        [("bos_token", "<s>"), ("eos_token", "</s>"), ("sep_token", "</s>"), ("cls_token", "<s>"), ("unk_token", "<unk>"), ("pad_token", "<pad>"), ("mask_token", "<mask>")];
    static readonly (string Key, string Token)[] Gpt2Defaults =
        [("unk_token", "<|endoftext|>"), ("bos_token", "<|endoftext|>"), ("eos_token", "<|endoftext|>")];

    /// <summary>
    /// The HF tokenizer classes' constructor defaults for special tokens, used only when the folder names none at all
    /// (old checkpoints ship just the vocabulary) and only for tokens the vocabulary has.
    /// </summary>
    static void AddClassDefaults(TokenizerFolderConfig config, Dictionary<string, int> vocab, (string Key, string Token)[] defaults)
    {
        if (config.SpecialTokens.Count > 0) return;
        foreach (var (key, token) in defaults)
            if (vocab.ContainsKey(token))
                config.SpecialTokens[key] = new AddedToken(token, -1, true, LStrip: key == "mask_token" && token == "<mask>", false);
    }

    public static TransformerTokenizer SentencePiece(TokenizerFolderConfig config, byte[] modelBytes, string modelPath, string folder)
    {
        var model = SentencePieceTransformerTokenizer.Load(modelBytes, modelPath);
        var settings = Settings(config, "sentencepiece", t => model.Vocabulary.TryGetValue(t, out int id) ? id : null,
            model.Vocabulary.Count, [modelPath], folder);
        return new SentencePieceTransformerTokenizer(settings, model);
    }

    /// <summary>Resolves special tokens to ids (adding named ones missing from the vocabulary after it, as HF does).</summary>
    // template: where the special tokens go when the files say it (a tokenizer.json post-processor), given the id of a
    // special token by key (bos_token, ...); null = by model type.
    public static TokenizerSettings Settings(TokenizerFolderConfig config, string fallbackModelType, Func<string, int?> vocabId,
        int vocabCount, List<string> files, string folder, Func<Func<string, int?>, SpecialTokenTemplate>? template = null)
    {
        var added = new List<AddedToken>(config.AddedTokens);
        foreach (var (key, token) in config.SpecialTokens)
        {
            int index = added.FindIndex(t => t.Content == token.Content);
            if (index >= 0) { added[index] = added[index] with { Special = true }; continue; }
            int id = vocabId(token.Content) ?? Math.Max(vocabCount, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1);
            added.Add(token with { Id = id, Special = true });
        }
        int? Special(string key) => config.SpecialTokens.TryGetValue(key, out var t) ? added.First(a => a.Content == t.Content).Id : null;

        string modelType = config.ModelType ?? ModelTypeFromTokenizerClass(config.TokenizerString("tokenizer_class")) ?? fallbackModelType;
        var placed = template?.Invoke(Special) ?? Template(modelType, Special, config.TokenizerBool("add_bos_token") ?? false, folder);
        int pad = Special("pad_token") ?? Special("eos_token") ?? Special("unk_token")
            ?? throw new FormatException($"Tokenizer in '{folder}' defines no pad_token, eos_token or unk_token, so there is nothing to pad with.");
        return new TokenizerSettings(modelType, placed, added, pad, Special("eos_token"), Special("mask_token"),
            MaxLength(config, modelType), config.TokenizerBool("clean_up_tokenization_spaces") ?? true, [.. files, .. config.FilesRead]);
    }

    static SpecialTokenTemplate Template(string modelType, Func<string, int?> special, bool addBos, string folder)
    {
        if (NoSpecialsStyle.Contains(modelType))
            return addBos && special("bos_token") is int bos ? SpecialTokenTemplate.BosOnly(bos) : SpecialTokenTemplate.None;
        int? cls = special("cls_token") ?? special("bos_token"), sep = special("sep_token") ?? special("eos_token");
        if (cls is null || sep is null)
        {
            if (modelType is "bert" or "distilbert" || RobertaStyle.Contains(modelType))
                throw new FormatException($"Tokenizer in '{folder}' is for model type '{modelType}' but defines no cls_token/sep_token (tokenizer_config.json or special_tokens_map.json).");
            return SpecialTokenTemplate.None;
        }
        return RobertaStyle.Contains(modelType) ? SpecialTokenTemplate.Roberta(cls.Value, sep.Value) : SpecialTokenTemplate.Bert(cls.Value, sep.Value);
    }

    internal static string? ModelTypeFromTokenizerClass(string? tokenizerClass)
    {
        if (tokenizerClass == null) return null;
        var name = tokenizerClass.EndsWith("Fast", StringComparison.Ordinal) ? tokenizerClass[..^4] : tokenizerClass;
        name = name.EndsWith("Tokenizer", StringComparison.Ordinal) ? name[..^9] : name;
        return name switch
        {
            "PreTrainedTokenizer" => null, // the generic class says nothing about the model
            "XLMRoberta" => "xlm-roberta",
            "GPT2" => "gpt2",
            _ => name.ToLowerInvariant(),
        };
    }

    static int MaxLength(TokenizerFolderConfig config, string modelType)
    {
        if (config.Number(config.TokenizerConfig, "model_max_length") is long m) return (int)m;
        // RoBERTa-style position tables reserve padding_idx + 1 = 2 rows before the first position.
        if (config.Number(config.ModelConfig, "max_position_embeddings") is long p) return (int)(RobertaStyle.Contains(modelType) ? p - 2 : p);
        if (config.Number(config.ModelConfig, "n_positions") is long n) return (int)n;
        return 512;
    }
}
