using TorchSharp;

namespace MLNet.FineTune.Modeling;

/// <summary>Parameter counts as PEFT's print_trainable_parameters words them (for logs and the model card).</summary>
internal static class ParameterCounts
{
    public static string Summary(torch.nn.Module module)
    {
        long all = 0, trainable = 0;
        foreach (var (_, p) in module.named_parameters()) { all += p.numel(); if (p.requires_grad) trainable += p.numel(); }
        return $"trainable params: {trainable:N0} || all params: {all:N0} || trainable%: {100.0 * trainable / Math.Max(1, all):F4}";
    }
}
