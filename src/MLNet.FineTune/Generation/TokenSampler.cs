using static TorchSharp.torch;

namespace MLNet.FineTune.Generation;

/// <summary>
/// Picks each row's next token from processed logits (B, V): the most likely one, or a draw from the softmax with this
/// generation's own torch generator, never the process-wide one, so a seed reproduces whatever else runs meanwhile.
/// </summary>
internal sealed class TokenSampler : IDisposable
{
    readonly Generator? generator;

    public TokenSampler(bool sample, long seed)
    {
        if (sample) generator = new Generator((ulong)seed);
    }

    /// <returns>(B) token ids, Int64.</returns>
    public Tensor Next(Tensor logits)
    {
        if (generator is null) return logits.argmax(-1);
        using var probabilities = logits.softmax(-1);
        using var drawn = multinomial(probabilities, 1, replacement: false, generator: generator);
        return drawn.squeeze(-1);
    }

    public void Dispose() => generator?.Dispose();
}
