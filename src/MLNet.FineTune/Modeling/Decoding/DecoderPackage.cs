using System.Text;
using System.Text.Json.Nodes;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>
/// What a causal LM needs besides its trained weights, as <see cref="ModelPackage"/> is for encoders: the decoder
/// config, the tokenizer and its files (with config.json, kept in memory so a model zip is self-contained), and the
/// base identity (folder name and weight hash) for model zips and adapter files. Nothing here writes to disk.
/// </summary>
internal sealed record DecoderPackage
{
    public required DecoderConfig Config { get; init; }
    public required TransformerTokenizer Tokenizer { get; init; }
    /// <summary>config.json and every tokenizer file, by file name.</summary>
    public required IReadOnlyDictionary<string, byte[]> Files { get; init; }
    /// <summary>Checkpoint folder name, or "scratch" for a model trained from random weights.</summary>
    public required string BaseName { get; init; }
    /// <summary>sha256 of the base weights; null for a model trained from scratch.</summary>
    public string? BaseWeightsSha256 { get; init; }
    /// <summary>The checkpoint folder when there is one (its weights are read when the model is built).</summary>
    public string? BaseFolder { get; init; }

    public bool IsScratch => BaseFolder is null && BaseWeightsSha256 is null;

    /// <summary>A Hugging Face decoder checkpoint folder (config.json, tokenizer files, safetensors).</summary>
    public static DecoderPackage FromCheckpoint(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"BaseModelFolder '{folder}' does not exist.");
        var configPath = Path.Combine(folder, CheckpointFolder.ConfigFile);
        var config = DecoderConfig.Load(configPath);
        var tokenizer = TransformerTokenizer.FromFolder(folder);
        var files = tokenizer.SourceFiles.Append(configPath).Where(File.Exists).DistinctBy(Path.GetFileName)
            .ToDictionary(p => Path.GetFileName(p)!, p => Persistence.UserFile.ReadAllBytes(p, "tokenizer or config file"));
        foreach (var extra in new[] { "generation_config.json", "chat_template.jinja" })
            if (File.Exists(Path.Combine(folder, extra))) files[extra] = Persistence.UserFile.ReadAllBytes(Path.Combine(folder, extra), "checkpoint file");
        CheckVocabulary(config, tokenizer, $"BaseModelFolder '{folder}'");
        return new DecoderPackage
        {
            Config = config, Tokenizer = tokenizer, Files = files,
            BaseName = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar)),
            BaseWeightsSha256 = CheckpointFolder.WeightsSha256(folder), BaseFolder = folder,
        };
    }

    /// <summary>A new decoder of <paramref name="config"/> (random weights) with the given tokenizer files.</summary>
    public static DecoderPackage FromScratch(DecoderConfig config, IReadOnlyDictionary<string, byte[]> tokenizerFiles)
    {
        var files = tokenizerFiles.Where(f => f.Key != CheckpointFolder.ConfigFile).ToDictionary(f => f.Key, f => f.Value);
        files[CheckpointFolder.ConfigFile] = Encoding.UTF8.GetBytes(ToJson(config).ToJsonString());
        var tokenizer = TransformerTokenizer.FromFiles(files, "scratch model tokenizer");
        CheckVocabulary(config, tokenizer, "the scratch model's tokenizer");
        return new DecoderPackage { Config = config, Tokenizer = tokenizer, Files = files, BaseName = "scratch" };
    }

    /// <summary>Rebuilds a package from saved files (model zip loading), in memory.</summary>
    public static DecoderPackage FromFiles(IReadOnlyDictionary<string, byte[]> files, string baseName, string? baseSha256, string where)
    {
        if (!files.TryGetValue(CheckpointFolder.ConfigFile, out var configBytes)) throw new InvalidDataException($"{where}: there is no config.json entry.");
        var config = DecoderConfig.FromJson(Persistence.JsonFields.Parse(configBytes, where + " config.json"));
        return new DecoderPackage { Config = config, Tokenizer = TransformerTokenizer.FromFiles(files, where), Files = files, BaseName = baseName, BaseWeightsSha256 = baseSha256 };
    }

    /// <summary>Every id the tokenizer produces must have an embedding row.</summary>
    static void CheckVocabulary(DecoderConfig config, TransformerTokenizer tokenizer, string where)
    {
        if (tokenizer.VocabSize > config.VocabSize)
            throw new InvalidDataException($"{where}: the tokenizer has {tokenizer.VocabSize} token ids but the model's vocab_size is {config.VocabSize}; " +
                "every token id needs a row of the embedding matrix (raise vocab_size or use the matching tokenizer).");
    }

    /// <summary>config.json for a decoder config, in the model type's own field names (what transformers reads).</summary>
    public static JsonObject ToJson(DecoderConfig c)
    {
        JsonNode? Eos() => c.EosTokenIds.Count switch { 0 => null, 1 => c.EosTokenIds[0], _ => new JsonArray(c.EosTokenIds.Select(i => (JsonNode)i).ToArray()) };
        if (c.Family == DecoderFamily.Gpt2)
            return new JsonObject
            {
                ["model_type"] = "gpt2", ["architectures"] = new JsonArray("GPT2LMHeadModel"),
                ["vocab_size"] = c.VocabSize, ["n_embd"] = c.HiddenSize, ["n_layer"] = c.NumLayers, ["n_head"] = c.NumHeads,
                ["n_inner"] = c.IntermediateSize, ["n_positions"] = c.MaxPositionEmbeddings, ["activation_function"] = c.HiddenAct,
                ["layer_norm_epsilon"] = c.NormEps, ["resid_pdrop"] = c.ResidualDropout, ["embd_pdrop"] = c.EmbeddingDropout,
                ["attn_pdrop"] = c.AttentionDropout, ["bos_token_id"] = c.BosTokenId, ["eos_token_id"] = Eos(), ["pad_token_id"] = c.PadTokenId,
            };
        return new JsonObject
        {
            ["model_type"] = c.ModelType, ["architectures"] = new JsonArray(c.ModelType switch { "qwen2" => "Qwen2ForCausalLM", "mistral" => "MistralForCausalLM", _ => "LlamaForCausalLM" }),
            ["vocab_size"] = c.VocabSize, ["hidden_size"] = c.HiddenSize, ["num_hidden_layers"] = c.NumLayers, ["num_attention_heads"] = c.NumHeads,
            ["num_key_value_heads"] = c.NumKeyValueHeads, ["intermediate_size"] = c.IntermediateSize, ["max_position_embeddings"] = c.MaxPositionEmbeddings,
            ["hidden_act"] = c.HiddenAct, ["rms_norm_eps"] = c.NormEps, ["rope_theta"] = c.RopeTheta, ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["attention_bias"] = c.OutputProjectionBias, ["attention_dropout"] = c.AttentionDropout,
            ["bos_token_id"] = c.BosTokenId, ["eos_token_id"] = Eos(), ["pad_token_id"] = c.PadTokenId,
        };
    }

    public string NameInMessages => IsScratch ? "the scratch model (ScratchDecoderOptions)" : $"model '{BaseName}' (config.json)";

    public string Describe() => IsScratch
        ? $"new {Config.ModelType} decoder (hidden {Config.HiddenSize}, {Config.NumLayers} layers, {Config.NumHeads} heads, vocab {Config.VocabSize}) trained from scratch"
        : $"{Config.ModelType} checkpoint '{BaseName}' (hidden {Config.HiddenSize}, {Config.NumLayers} layers, vocab {Config.VocabSize}, weights sha256 {BaseWeightsSha256?[..12]}…)";
}
