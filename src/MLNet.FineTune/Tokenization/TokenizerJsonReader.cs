using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// Reads a fast-tokenizer <c>tokenizer.json</c> whose model is WordPiece (with a BertNormalizer) or byte-level BPE,
/// and builds the same tokenizer as the slow files would. Other models (Unigram, non-byte-level BPE) are rejected.
/// Every field is read with the type HF writes (<see cref="JsonFields"/>): a wrong or missing one is a
/// <see cref="FormatException"/> naming the file and the field.
/// </summary>
internal static class TokenizerJsonReader
{
    public static TransformerTokenizer Read(TokenizerFolderConfig config, string json, string path, string folder)
    {
        var root = JsonFields.Parse(json, path, m => new FormatException(m));
        var model = root.RequiredObject("model");
        string type = model.RequiredString("type");
        if (type is not ("WordPiece" or "BPE"))
            throw new NotSupportedException($"'{path}': tokenizer model type '{type}' is not supported (WordPiece and byte-level BPE are" +
                (type == "Unigram" ? "; for a Unigram model, put its SentencePiece .model file in the folder" : "") + ").");
        foreach (var token in AddedTokens(root))
            if (config.AddedTokens.All(t => t.Content != token.Content)) config.AddedTokens.Add(token);

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
        var pre = root.Object("pre_tokenizer");
        if (pre?.String("type") != "ByteLevel")
            throw new NotSupportedException($"'{path}': only byte-level BPE (pre_tokenizer type ByteLevel) is supported.");
        return TokenizerFactory.ByteLevelBpe(config, vocab, ByteLevelBpe.FromMergeList(Merges(model)), [path], folder,
            pre.Bool("add_prefix_space"));
    }

    static List<AddedToken> AddedTokens(JsonFields root)
    {
        var tokens = new List<AddedToken>();
        if (root.Array("added_tokens") is not { } list) return tokens;
        for (int i = 0; i < list.Count; i++)
        {
            var t = root.ObjectItem("added_tokens", list, i);
            int id = t.Int("id") is int n && n >= 0 ? n : throw t.WrongType("id", "a token id >= 0", t.Raw("id"));
            tokens.Add(new AddedToken(t.RequiredString("content"), id, t.Bool("special") ?? false, t.Bool("lstrip") ?? false, t.Bool("rstrip") ?? false));
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
