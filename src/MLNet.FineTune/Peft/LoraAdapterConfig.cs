using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Peft;

/// <summary>
/// <c>adapter_config.json</c> of a PEFT LoRA adapter, with exactly the fields PEFT 0.11.1's LoraConfig has: that
/// version passes every field to the dataclass constructor and fails on unknown ones, so our own data (the base
/// checkpoint's hash) goes into the safetensors metadata instead.
/// </summary>
internal static class LoraAdapterConfig
{
    public const string FileName = "adapter_config.json";

    /// <summary>
    /// The JSON PEFT writes (keys sorted, indent 2). <paramref name="targets"/> are the wrapped paths (written when
    /// exclusions or all-linear make the options' own form inexact); <paramref name="encoderPrefix"/> is the base
    /// model's prefix in PEFT's key space (<c>bert.</c> under a task model), allowed for in a regex.
    /// </summary>
    public static string ToJson(LoraOptions o, string modelType, IReadOnlyList<string> targets, string? taskType,
        IReadOnlyList<string> modulesToSave, string baseModelName, string encoderPrefix, bool fanInFanOut = false)
    {
        JsonNode targetNode;
        if (o.ExcludeModules.Count > 0)
            targetNode = new JsonArray(targets.Select(t => (JsonNode)t).ToArray()); // exact paths: PEFT matches them as suffixes
        else if (o.TargetModulesPattern == LoraOptions.AllLinear)
            targetNode = new JsonArray(targets.Select(t => t[(t.LastIndexOf('.') + 1)..]).Distinct().Select(t => (JsonNode)t).ToArray());
        else if (o.TargetModulesPattern is { } pattern)
            targetNode = encoderPrefix.Length == 0 ? pattern : $"(?:{Regex.Escape(encoderPrefix)})?(?:{pattern})";
        else
            targetNode = new JsonArray((o.TargetModules ?? LoraOptions.DefaultTargets(modelType)).Select(t => (JsonNode)t).ToArray());

        var json = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = taskType is null ? AutoMapping(modelType) : null,
            ["base_model_name_or_path"] = baseModelName,
            ["bias"] = o.Bias switch { LoraBias.All => "all", LoraBias.LoraOnly => "lora_only", _ => "none" },
            ["fan_in_fan_out"] = fanInFanOut,
            ["inference_mode"] = true,
            ["init_lora_weights"] = o.InitLoraWeights,
            ["layer_replication"] = null,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["loftq_config"] = new JsonObject(),
            ["lora_alpha"] = Number(o.Alpha),
            ["lora_dropout"] = o.Dropout,
            ["megatron_config"] = null,
            ["megatron_core"] = "megatron.core",
            ["modules_to_save"] = modulesToSave.Count == 0 ? null : new JsonArray(modulesToSave.Select(m => (JsonNode)m).ToArray()),
            ["peft_type"] = "LORA",
            ["r"] = o.Rank,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = targetNode,
            ["task_type"] = taskType,
            ["use_dora"] = false,
            ["use_rslora"] = o.UseRslora,
        };
        var root = new JsonObject();
        foreach (var (k, v) in json) root[k] = v;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// Reads a PEFT LoRA config, refusing (with the field named) what this library does not implement, and any field
    /// whose JSON type is not the one PEFT writes.
    /// </summary>
    /// <param name="path">the adapter_config.json</param>
    /// <param name="allowFanInFanOut">accept <c>fan_in_fan_out</c> (decoders hold GPT-2's Conv1D weights as [out, in], so the flag only concerns the file layout)</param>
    public static LoraOptions Read(string path, bool allowFanInFanOut = false)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: adapter config not found.", path);
        var o = JsonFields.Read(path, "LoRA adapter config", m => new FormatException(m));
        string peftType = o.String("peft_type") ?? "(missing)";
        if (peftType != "LORA") throw new NotSupportedException($"{path}: peft_type is '{peftType}'; only LORA adapter files are read.");
        Refuse(o, "use_dora", o.Bool("use_dora") == true, "DoRA");
        Refuse(o, "fan_in_fan_out", !allowFanInFanOut && o.Bool("fan_in_fan_out") == true, "fan_in_fan_out (Conv1D bases)");
        Refuse(o, "layers_to_transform", o.Has("layers_to_transform"), "layers_to_transform");
        Refuse(o, "layer_replication", o.Has("layer_replication"), "layer_replication");
        Refuse(o, "rank_pattern", o.Object("rank_pattern")?.Count > 0, "per-module rank_pattern");
        Refuse(o, "alpha_pattern", o.Object("alpha_pattern")?.Count > 0, "per-module alpha_pattern");
        var options = new LoraOptions
        {
            Rank = o.Int("r") ?? 8,
            Alpha = o.Double("lora_alpha") ?? 8,
            Dropout = o.Double("lora_dropout") ?? 0,
            TargetModules = o.Raw("target_modules") is JsonArray ? o.StringArray("target_modules") : null,
            TargetModulesPattern = o.Raw("target_modules") is JsonArray ? null : o.String("target_modules"),
            Bias = (o.String("bias") ?? "none") switch
            {
                "none" => LoraBias.None, "all" => LoraBias.All, "lora_only" => LoraBias.LoraOnly,
                var b => throw o.Error("bias", $"is '{b}', not one of none, all, lora_only."),
            },
            ModulesToSave = o.StringArray("modules_to_save") ?? Array.Empty<string>(),
            UseRslora = o.Bool("use_rslora") ?? false,
            // PEFT also accepts init method names ("gaussian", "pissa"…): they only shape a fresh adapter, and a loaded one has its weights.
            InitLoraWeights = o.Raw("init_lora_weights") is JsonValue { } init && init.GetValueKind() == JsonValueKind.String || (o.Bool("init_lora_weights") ?? true),
        };
        try { options.Validate(); }
        catch (ArgumentException e) { throw new FormatException($"{path}: {e.Message.Replace("LoraOptions.", "")}", e); }
        return options;
    }

    static void Refuse(JsonFields o, string field, bool isSet, string what)
    {
        if (isSet)
            throw new NotSupportedException($"{o.File}: field '{field}' = {o.Raw(field)!.ToJsonString()} asks for {what}, which MLNet.FineTune does not implement.");
    }

    static JsonNode Number(double d) => d == Math.Floor(d) && Math.Abs(d) < 1e15 ? JsonValue.Create((long)d) : JsonValue.Create(d);

    /// <summary>PEFT's auto_mapping for an adapter on a bare base model (no task_type): the transformers class to rebuild.</summary>
    internal static JsonObject AutoMapping(string modelType)
    {
        var (cls, lib) = modelType switch
        {
            "roberta" => ("RobertaModel", "roberta.modeling_roberta"),
            "distilbert" => ("DistilBertModel", "distilbert.modeling_distilbert"),
            _ => ("BertModel", "bert.modeling_bert"),
        };
        return new JsonObject { ["base_model_class"] = cls, ["parent_library"] = "transformers.models." + lib };
    }
}
