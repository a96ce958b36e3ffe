namespace MLNet.FineTune.Peft;

/// <summary>Prompt tuning settings (PEFT's PromptTuningConfig).</summary>
public sealed record PromptTuningOptions
{
    /// <summary>How many learned virtual tokens are prepended (PEFT <c>num_virtual_tokens</c>).</summary>
    public int NumVirtualTokens { get; init; } = 20;
    /// <summary>
    /// Token ids of an initialisation text (PEFT <c>prompt_tuning_init = TEXT</c>: the tokenizer's ids, special tokens
    /// included). The virtual tokens start as copies of these ids' word embeddings, the ids repeated or cut to fit.
    /// Null: random init, N(0, 1) as nn.Embedding (PEFT's RANDOM).
    /// </summary>
    public IReadOnlyList<long>? InitTokenIds { get; init; }

    public void Validate()
    {
        if (NumVirtualTokens <= 0) throw new ArgumentException($"PromptTuningOptions.NumVirtualTokens must be positive, got {NumVirtualTokens}.");
        if (InitTokenIds is { Count: 0 }) throw new ArgumentException("PromptTuningOptions.InitTokenIds is empty; give the init text's ids or null for random init.");
    }
}
