namespace MLNet.FineTune.Data;

/// <summary>
/// A generative example as a decoder trains on it: token ids, and per token the label the loss compares the previous
/// position's prediction with (the id itself, or <see cref="IgnoreIndex"/> where not trained). The causal shift by
/// one happens in the loss, as in transformers' <c>*ForCausalLM(labels=…)</c>. <see cref="Source"/> is the example's
/// <c>file:line</c> (or empty).
/// </summary>
internal sealed record EncodedGenerativeExample(int[] InputIds, int[] Labels, string Source)
{
    /// <summary>The label of untrained tokens (PyTorch's <c>ignore_index</c>; Training's Losses.IgnoreIndex).</summary>
    public const int IgnoreIndex = -100;

    public int Length => InputIds.Length;

    /// <summary>How many tokens carry a label.</summary>
    public int TrainedTokens => Labels.Count(l => l != IgnoreIndex);
}
