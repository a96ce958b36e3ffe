using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// The JSON side files of a Hugging Face checkpoint that shape tokenization: tokenizer_config.json,
/// special_tokens_map.json (wins over tokenizer_config for special tokens, as in HF), added_tokens.json and
/// config.json (model type, position limit). All are optional; a field they do have must have the type HF writes
/// (<see cref="JsonFields"/>), else a <see cref="FormatException"/> names the file and the field.
/// </summary>
internal sealed class TokenizerFolderConfig
{
    public const string TokenizerConfigFile = "tokenizer_config.json";
    public const string SpecialTokensMapFile = "special_tokens_map.json";
    public const string AddedTokensFile = "added_tokens.json";
    public const string ModelConfigFile = "config.json";

    static readonly string[] SpecialTokenKeys = ["unk_token", "cls_token", "sep_token", "pad_token", "mask_token", "bos_token", "eos_token"];

    public JsonFields? TokenizerConfig { get; private set; }
    public JsonFields? ModelConfig { get; private set; }

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
            config.ReadSpecialTokens(tc);
            if (tc.Object("added_tokens_decoder") is { } decoder)
                foreach (var (key, _) in decoder.Fields)
                {
                    if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
                        throw decoder.Error(key, "is not a token id (added_tokens_decoder keys are ids written as decimal strings).");
                    var t = ParseToken(decoder, key) ?? throw decoder.WrongType(key, "a token object with \"content\"", null);
                    config.AddedTokens.Add(t with { Id = id, Special = decoder.Object(key)?.Bool("special") ?? false });
                }
        }
        if (config.ReadJson(folder, SpecialTokensMapFile) is { } map) config.ReadSpecialTokens(map);
        if (config.ReadJson(folder, AddedTokensFile) is { } added)
            foreach (var (token, id) in added.AsIntMap())
            {
                if (id < 0) throw added.Error(token, $"is the id {id}; token ids are >= 0.");
                if (config.AddedTokens.All(t => t.Content != token))
                    config.AddedTokens.Add(new AddedToken(token, id, false, false, false));
            }
        return config;
    }

    public bool? TokenizerBool(string name) => TokenizerConfig?.Bool(name);

    public string? TokenizerString(string name) => TokenizerConfig?.String(name);

    public string? ModelType => ModelConfig?.String("model_type");

    /// <summary>A positive integer from tokenizer_config (first) or config.json, skipping HF's 1e30 "no limit" value.</summary>
    public long? Number(JsonFields? json, string name) =>
        json?.Has(name) == true && json.Double(name) is double d && d > 0 && d < int.MaxValue ? (long)d : null;

    void ReadSpecialTokens(JsonFields json)
    {
        foreach (var key in SpecialTokenKeys)
            if (ParseToken(json, key) is { } token)
                SpecialTokens[key] = token;
    }

    /// <summary>A token given as a plain string or as an AddedToken object (<c>{"content": ..., "lstrip": ...}</c>); null for JSON null.</summary>
    static AddedToken? ParseToken(JsonFields json, string field)
    {
        if (!json.Has(field)) return null;
        if (json.Raw(field) is System.Text.Json.Nodes.JsonValue) return new AddedToken(json.String(field)!, -1, true, false, false);
        var o = json.Object(field) ?? throw json.WrongType(field, "a string or an object with \"content\"", json.Raw(field));
        return new AddedToken(o.RequiredString("content"), -1, true, o.Bool("lstrip") ?? false, o.Bool("rstrip") ?? false);
    }

    JsonFields? ReadJson(TokenizerFiles folder, string file)
    {
        if (!folder.Exists(file)) return null;
        var json = JsonFields.Parse(folder.ReadAllText(file), folder.PathOf(file), m => new FormatException(m));
        FilesRead.Add(folder.PathOf(file));
        return json;
    }
}
