using System.Text.Json;
using System.Text.Json.Nodes;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Peft;

/// <summary>
/// <c>adapter_config.json</c> of a PEFT prompt-tuning adapter (peft_type PROMPT_TUNING), with exactly the fields PEFT
/// 0.11.1's PromptTuningConfig has (that version fails on unknown fields). Only encoders are supported here, so
/// num_transformer_submodules must be 1 (2 is for seq2seq models, whose prompt holds encoder and decoder tokens).
/// </summary>
internal sealed record PromptTuningAdapterConfig
{
    public const string PeftType = "PROMPT_TUNING";

    public required int NumVirtualTokens { get; init; }
    /// <summary>The encoder's hidden size: each virtual token is one word embedding.</summary>
    public required int TokenDim { get; init; }
    public string? TaskType { get; init; }
    public int? NumLayers { get; init; }
    public int? NumAttentionHeads { get; init; }
    public string BaseModelName { get; init; } = "";

    /// <summary>The JSON PEFT writes (keys sorted, indent 2).</summary>
    public string ToJson(string modelType)
    {
        var json = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["auto_mapping"] = TaskType is null ? LoraAdapterConfig.AutoMapping(modelType) : null,
            ["base_model_name_or_path"] = BaseModelName,
            ["inference_mode"] = true,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_layers"] = NumLayers,
            ["num_transformer_submodules"] = 1,
            ["num_virtual_tokens"] = NumVirtualTokens,
            ["peft_type"] = PeftType,
            // RANDOM: the saved weights replace any init. TEXT would oblige PEFT to re-tokenize an init text we do not keep.
            ["prompt_tuning_init"] = "RANDOM",
            ["prompt_tuning_init_text"] = null,
            ["revision"] = null,
            ["task_type"] = TaskType,
            ["token_dim"] = TokenDim,
            ["tokenizer_kwargs"] = null,
            ["tokenizer_name_or_path"] = null,
        };
        var root = new JsonObject();
        foreach (var (k, v) in json) root[k] = v;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a PEFT prompt-tuning config, naming the file and the field in every error.</summary>
    public static PromptTuningAdapterConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: adapter config not found.", path);
        var o = JsonFields.Read(path, "prompt-tuning adapter config", m => new FormatException(m));
        string peftType = o.Raw("peft_type") is JsonValue ? o.String("peft_type")! : "(missing)";
        if (peftType != PeftType)
            throw new NotSupportedException($"{path}: peft_type is '{peftType}'; a prompt-tuning adapter has '{PeftType}'" +
                (peftType == "LORA" ? " (read LoRA adapters with LoraAdapterFile)." : "."));
        int submodules = o.Int("num_transformer_submodules") ?? 1;
        if (submodules != 1)
            throw new NotSupportedException($"{path}: field 'num_transformer_submodules' = {submodules}; only encoder prompts (1) are supported.");
        return new PromptTuningAdapterConfig
        {
            NumVirtualTokens = Positive(o, "num_virtual_tokens"),
            TokenDim = Positive(o, "token_dim"),
            TaskType = o.String("task_type"),
            NumLayers = o.Int("num_layers"),
            NumAttentionHeads = o.Int("num_attention_heads"),
            BaseModelName = o.String("base_model_name_or_path") ?? "",
        };
    }

    static int Positive(JsonFields o, string field) =>
        o.Int(field) is int n && n > 0 ? n : throw o.WrongType(field, "a positive integer", o.Raw(field));
}
