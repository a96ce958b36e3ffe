namespace MLNet.FineTune.Peft;

/// <summary>Bottleneck adapter settings (Houlsby et al. 2019; Pfeiffer et al. 2021).</summary>
public sealed record BottleneckOptions
{
    /// <summary>hidden size / bottleneck size (16: 768 → 48).</summary>
    public int ReductionFactor { get; init; } = 16;
    /// <summary>Non-linearity between the down- and up-projection: relu, gelu, tanh, silu/swish.</summary>
    public string NonLinearity { get; init; } = "relu";

    public void Validate()
    {
        if (ReductionFactor <= 0) throw new ArgumentException($"BottleneckOptions.ReductionFactor must be positive, got {ReductionFactor}.");
        _ = BottleneckAdapterLinear.Activation(NonLinearity);
    }
}
