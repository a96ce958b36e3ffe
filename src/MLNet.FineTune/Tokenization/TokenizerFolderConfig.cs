using System.Text.Json;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// The JSON side files of a Hugging Face checkpoint that shape tokenization: tokenizer_config.json,
/// special_tokens_map.json (wins over tokenizer_config for special tokens, as in HF), added_tokens.json and
/// config.json (model type, position limit). All are optional.
/// </summary>
internal sealed class TokenizerFolderConfig
{
    public const string TokenizerConfigFile = "tokenizer_config.json";
    public const string SpecialTokensMapFile = "special_tokens_map.json";
    public const string AddedTokensFile = "added_tokens.json";
    public const string ModelConfigFile = "config.json";

    static readonly string[] SpecialTokenKeys = ["unk_token", "cls_token", "sep_token", "pad_token", "mask_token", "bos_token", "eos_token"];

    public JsonElement? TokenizerConfig { get; private set; }
    public JsonElement? ModelConfig { get; private set; }

    /// <summary>Special token strings by HF attribute name (<c>cls_token</c>, ...), with their lstrip/rstrip flags.</summary>
    public Dictionary<string, AddedToken> SpecialTokens { get; } = [];

    /// <summary>Tokens with fixed ids: tokenizer_config <c>added_tokens_decoder</c> and added_tokens.json.</summary>
    public List<AddedToken> AddedTokens { get; } = [];

    public List<string> FilesRead { get; } = [];

    public static TokenizerFolderConfig Read(TokenizerFiles folder)
    {
        var config = new TokenizerFolderConfig();
        config.TokenizerConfig = config.ReadJson(folder, TokenizerConfigFile);
        config.ModelConfig = config.ReadJson(folder, ModelConfigFile);
        if (config.TokenizerConfig is { } tc)
        {
            config.ReadSpecialTokens(tc, TokenizerConfigFile);
            if (tc.TryGetProperty("added_tokens_decoder", out var decoder) && decoder.ValueKind == JsonValueKind.Object)
                foreach (var entry in decoder.EnumerateObject())
                {
                    if (!int.TryParse(entry.Name, out int id))
                        throw new FormatException($"{folder.PathOf(TokenizerConfigFile)}: added_tokens_decoder key '{entry.Name}' is not a token id.");
                    var t = ParseToken(entry.Value, TokenizerConfigFile, $"added_tokens_decoder.{entry.Name}")!;
                    config.AddedTokens.Add(t with { Id = id, Special = Bool(entry.Value, "special") ?? false });
                }
        }
        if (config.ReadJson(folder, SpecialTokensMapFile) is { } map) config.ReadSpecialTokens(map, SpecialTokensMapFile);
        if (config.ReadJson(folder, AddedTokensFile) is { } added)
            foreach (var entry in added.EnumerateObject())
                if (config.AddedTokens.All(t => t.Content != entry.Name))
                    config.AddedTokens.Add(new AddedToken(entry.Name, entry.Value.GetInt32(), false, false, false));
        return config;
    }

    public bool? TokenizerBool(string name) => TokenizerConfig is { } tc ? Bool(tc, name) : null;

    public string? TokenizerString(string name) =>
        TokenizerConfig is { } tc && tc.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public string? ModelType =>
        ModelConfig is { } mc && mc.TryGetProperty("model_type", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A positive integer from tokenizer_config (first) or config.json, skipping HF's 1e30 "no limit" value.</summary>
    public long? Number(JsonElement? json, string name) =>
        json is { } j && j.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d)
            && d > 0 && d < int.MaxValue ? (long)d : null;

    void ReadSpecialTokens(JsonElement json, string file)
    {
        foreach (var key in SpecialTokenKeys)
            if (json.TryGetProperty(key, out var value) && ParseToken(value, file, key) is { } token)
                SpecialTokens[key] = token;
    }

    /// <summary>A token given as a plain string or as an AddedToken object (<c>{"content": ..., "lstrip": ...}</c>); null for JSON null.</summary>
    static AddedToken? ParseToken(JsonElement value, string file, string field) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => new AddedToken(value.GetString()!, -1, true, false, false),
        JsonValueKind.Object when value.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String =>
            new AddedToken(c.GetString()!, -1, true, Bool(value, "lstrip") ?? false, Bool(value, "rstrip") ?? false),
        _ => throw new FormatException($"{file}: '{field}' should be a string or an object with \"content\", got {value.ValueKind}."),
    };

    static bool? Bool(JsonElement json, string name) =>
        json.TryGetProperty(name, out var v) ? v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null } : null;

    JsonElement? ReadJson(TokenizerFiles folder, string file)
    {
        var path = folder.PathOf(file);
        if (!folder.Exists(file)) return null;
        try
        {
            using var doc = JsonDocument.Parse(folder.ReadAllText(file));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new FormatException($"'{path}' should hold a JSON object, got {doc.RootElement.ValueKind}.");
            FilesRead.Add(path);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new FormatException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }
}
