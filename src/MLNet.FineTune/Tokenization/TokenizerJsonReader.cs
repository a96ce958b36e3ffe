using System.Text.Json;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// Reads a fast-tokenizer <c>tokenizer.json</c> whose model is WordPiece (with a BertNormalizer) or byte-level BPE,
/// and builds the same tokenizer as the slow files would. Other models (Unigram, non-byte-level BPE) are rejected.
/// </summary>
internal static class TokenizerJsonReader
{
    public static TransformerTokenizer Read(TokenizerFolderConfig config, string json, string path, string folder)
    {
        JsonElement root;
        try { using var doc = JsonDocument.Parse(json); root = doc.RootElement.Clone(); }
        catch (JsonException e) { throw new FormatException($"'{path}' is not valid JSON: {e.Message}", e); }

        if (!root.TryGetProperty("model", out var model) || !model.TryGetProperty("type", out var typeElement))
            throw new FormatException($"'{path}' has no model.type.");
        foreach (var token in AddedTokens(root, path))
            if (config.AddedTokens.All(t => t.Content != token.Content)) config.AddedTokens.Add(token);

        var vocab = model.GetProperty("vocab").Deserialize<Dictionary<string, int>>()
            ?? throw new FormatException($"'{path}': model.vocab is null.");
        string type = typeElement.GetString() ?? "";
        if (type == "WordPiece")
        {
            var n = root.TryGetProperty("normalizer", out var norm) && norm.ValueKind == JsonValueKind.Object ? norm : default;
            var basic = new BertBasicTokenizer(Bool(n, "lowercase") ?? true, Bool(n, "strip_accents"), Bool(n, "handle_chinese_chars") ?? true);
            string prefix = model.TryGetProperty("continuing_subword_prefix", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "##";
            int maxChars = model.TryGetProperty("max_input_chars_per_word", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt32() : 100;
            if (!config.SpecialTokens.ContainsKey("unk_token") && model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String)
                config.SpecialTokens["unk_token"] = new AddedToken(unk.GetString()!, -1, true, false, false);
            return TokenizerFactory.WordPiece(config, vocab, [path], folder, prefix, maxChars, basic);
        }
        if (type == "BPE")
        {
            if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object
                || pre.GetProperty("type").GetString() != "ByteLevel")
                throw new NotSupportedException($"'{path}': only byte-level BPE (pre_tokenizer type ByteLevel) is supported.");
            return TokenizerFactory.ByteLevelBpe(config, vocab, ByteLevelBpe.FromMergeList(Merges(model, path)), [path], folder,
                Bool(pre, "add_prefix_space"));
        }
        throw new NotSupportedException($"'{path}': tokenizer model type '{type}' is not supported (WordPiece and byte-level BPE are).");
    }

    static List<AddedToken> AddedTokens(JsonElement root, string path)
    {
        var tokens = new List<AddedToken>();
        if (!root.TryGetProperty("added_tokens", out var list) || list.ValueKind != JsonValueKind.Array) return tokens;
        foreach (var t in list.EnumerateArray())
            tokens.Add(new AddedToken(t.GetProperty("content").GetString()!, t.GetProperty("id").GetInt32(),
                Bool(t, "special") ?? false, Bool(t, "lstrip") ?? false, Bool(t, "rstrip") ?? false));
        return tokens;
    }

    /// <summary>Merges as "a b" strings (older files) or ["a", "b"] pairs (newer files).</summary>
    static List<(string, string)> Merges(JsonElement model, string path)
    {
        var merges = new List<(string, string)>();
        int index = 0;
        foreach (var merge in model.GetProperty("merges").EnumerateArray())
        {
            string[] parts = merge.ValueKind == JsonValueKind.Array
                ? [.. merge.EnumerateArray().Select(x => x.GetString() ?? "")]
                : (merge.GetString() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2) throw new FormatException($"'{path}': model.merges[{index}] should hold two symbols, got {merge}.");
            merges.Add((parts[0], parts[1]));
            index++;
        }
        return merges;
    }

    static bool? Bool(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var v)
            ? v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null } : null;
}
