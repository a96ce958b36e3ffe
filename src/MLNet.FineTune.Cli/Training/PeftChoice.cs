using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Peft;

namespace MLNet.FineTune.Cli.Training;

/// <summary><c>--peft</c>: full, lora, adapters (Pfeiffer bottleneck adapters), prompt, or any PeftMethod name.</summary>
internal static class PeftChoice
{
    public static PeftMethod Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "full" => PeftMethod.Full,
        "lora" => PeftMethod.Lora,
        "adapters" or "adapter" or "pfeiffer" => PeftMethod.Pfeiffer,
        "houlsby" => PeftMethod.Houlsby,
        "prompt" or "prompt-tuning" or "prompttuning" => PeftMethod.PromptTuning,
        "head-only" or "headonly" => PeftMethod.HeadOnly,
        "bitfit" => PeftMethod.BitFit,
        _ => throw new UserError($"--peft '{value}' is not a method; use full, lora, adapters, houlsby, prompt, head-only or bitfit."),
    };
}
