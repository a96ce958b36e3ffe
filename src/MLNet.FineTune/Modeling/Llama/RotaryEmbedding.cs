using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Llama;

/// <summary>
/// Rotary position embeddings (LlamaRotaryEmbedding, rotate_half convention): frequencies θ^(−2i/d) for i &lt; d/2,
/// computed in float32 exactly as transformers does, so the angles, and the logits, match to the last bits.
/// </summary>
internal sealed class RotaryEmbedding : IDisposable
{
    readonly Tensor inverseFrequencies; // (D/2)

    public RotaryEmbedding(int headDim, double theta)
    {
        using var scope = NewDisposeScope();
        // 1 / base ** (arange(0, dim, 2).float() / dim): the power in float32, as Python's float ** tensor.
        var exponent = ScalarFree.Range(0, headDim, CPU).to_type(ScalarType.Float32).index_select(0, ScalarFree.Range(0, headDim / 2, CPU) * 2) / headDim;
        inverseFrequencies = full_like(exponent, theta).pow(exponent).reciprocal().DetachFromDisposeScope();
    }

    /// <summary>cos and sin (B, 1, T, D) for position ids (B, T), broadcastable over heads.</summary>
    public (Tensor Cos, Tensor Sin) For(Tensor positionIds, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var frequencies = positionIds.device_type == inverseFrequencies.device_type ? inverseFrequencies : inverseFrequencies.to(positionIds.device);
        var freqs = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * frequencies; // (B, T, D/2)
        var angles = TensorMemory.Concat(freqs, freqs, -1);                                                                        // (B, T, D)
        var cos = angles.cos().to_type(dtype).unsqueeze(1).MoveToOuterDisposeScope();
        var sin = angles.sin().to_type(dtype).unsqueeze(1).MoveToOuterDisposeScope();
        return (cos, sin);
    }

    /// <summary>x · cos + rotate_half(x) · sin, with rotate_half(x) = [−x₂, x₁] over the two halves of the head dimension.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.size(-1) / 2;
        var rotated = TensorMemory.Concat(x.narrow(-1, half, x.size(-1) - half).neg(), x.narrow(-1, 0, half), -1);
        return (x * cos).Plus(rotated * sin).MoveToOuterDisposeScope();
    }

    public void Dispose() => inverseFrequencies.Dispose();
}
