using System.Text.RegularExpressions;

namespace MLNet.FineTune.Peft;

/// <summary>
/// LoRA settings with Hugging Face PEFT's <c>LoraConfig</c> meanings and defaults (r 8, lora_alpha 8, dropout 0,
/// bias "none"). Target modules: a list matches a projection whose dotted path equals an entry or ends with
/// <c>.entry</c>; <see cref="TargetModulesPattern"/> is a full-match regular expression, or <c>all-linear</c> for every
/// encoder projection (task heads are never wrapped). <see cref="ExcludeModules"/> (same list rule) wins over targets.
/// </summary>
public sealed record LoraOptions
{
    /// <summary>The <c>all-linear</c> shorthand of PEFT: every linear projection of the encoder.</summary>
    public const string AllLinear = "all-linear";

    /// <summary>Rank r of the update B·A (PEFT <c>r</c>).</summary>
    public int Rank { get; init; } = 8;
    /// <summary>PEFT <c>lora_alpha</c>; the update is scaled by alpha/r (alpha/√r with <see cref="UseRslora"/>).</summary>
    public double Alpha { get; init; } = 8;
    /// <summary>Dropout applied to the adapter's input only (PEFT <c>lora_dropout</c>).</summary>
    public double Dropout { get; init; }
    /// <summary>Module names (exact paths or last segments). Null: PEFT's default for the architecture (query,value; q_lin,v_lin; c_attn for GPT-2; q_proj,v_proj for Llama).</summary>
    public IReadOnlyList<string>? TargetModules { get; init; }
    /// <summary>A full-match regex over module paths, or <see cref="AllLinear"/>. Used instead of <see cref="TargetModules"/> when set.</summary>
    public string? TargetModulesPattern { get; init; }
    /// <summary>Modules never wrapped even when targeted (exact paths or last segments).</summary>
    public IReadOnlyList<string> ExcludeModules { get; init; } = Array.Empty<string>();
    /// <summary>PEFT <c>bias</c>.</summary>
    public LoraBias Bias { get; init; } = LoraBias.None;
    /// <summary>
    /// Modules trained in full and saved with the adapter (PEFT <c>modules_to_save</c>), e.g. <c>classifier</c>. A task
    /// head given to <see cref="PeftModel.Attach"/> always trains and is saved this way.
    /// </summary>
    public IReadOnlyList<string> ModulesToSave { get; init; } = Array.Empty<string>();
    /// <summary>Rank-stabilised LoRA: scale by alpha/√r instead of alpha/r.</summary>
    public bool UseRslora { get; init; }
    /// <summary>PEFT <c>init_lora_weights</c>: true gives B = 0 (a no-op adapter); false leaves B at nn.Linear's random init.</summary>
    public bool InitLoraWeights { get; init; } = true;

    /// <summary>The factor the update B·A·x is multiplied by.</summary>
    public double Scaling => UseRslora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>PEFT's default target modules for an architecture (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING).</summary>
    public static IReadOnlyList<string> DefaultTargets(string modelType) => modelType switch
    {
        "bert" or "roberta" => new[] { "query", "value" },
        "distilbert" => new[] { "q_lin", "v_lin" },
        "gpt2" => new[] { "c_attn" },
        "llama" or "mistral" or "qwen2" => new[] { "q_proj", "v_proj" },
        _ => throw new NotSupportedException($"LoRA has no default target modules for model_type '{modelType}'; set LoraOptions.TargetModules."),
    };

    /// <summary>Throws one clear error per broken rule.</summary>
    public void Validate()
    {
        if (Rank <= 0) throw new ArgumentException($"LoraOptions.Rank must be a positive integer, got {Rank}.");
        if (double.IsNaN(Alpha) || double.IsInfinity(Alpha)) throw new ArgumentException($"LoraOptions.Alpha must be finite, got {Alpha}.");
        if (Dropout is < 0 or >= 1 || double.IsNaN(Dropout)) throw new ArgumentException($"LoraOptions.Dropout must be in [0, 1), got {Dropout}.");
        if (TargetModules is { Count: 0 } && TargetModulesPattern is null)
            throw new ArgumentException("LoraOptions.TargetModules is empty: name at least one module, or leave it null for the architecture's default.");
        if (TargetModulesPattern is not null && TargetModulesPattern != AllLinear)
        {
            try { _ = new Regex(TargetModulesPattern); }
            catch (ArgumentException e) { throw new ArgumentException($"LoraOptions.TargetModulesPattern '{TargetModulesPattern}' is not a valid regular expression: {e.Message}", e); }
        }
    }
}
