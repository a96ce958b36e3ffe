namespace MLNet.FineTune.Data;

/// <summary>Which tokens the causal-LM loss covers.</summary>
internal enum GenerativeLossTokens
{
    /// <summary>The completion (prompt/completion) or the trained assistant turns (chat), end token included. The default.</summary>
    CompletionOnly,

    /// <summary>Every token of the example (HF <c>labels = input_ids</c>).</summary>
    AllTokens,
}

/// <summary>What happens to an example longer than the maximum length.</summary>
internal enum OverlongExampleHandling
{
    /// <summary>Throw an <see cref="InvalidDataException"/> naming the example's source and its length. The default.</summary>
    Refuse,

    /// <summary>Keep the first MaxLength tokens (the end of the completion, and its EOS, are lost).</summary>
    Truncate,
}

/// <summary>How <see cref="GenerativeExampleEncoder"/> turns examples into ids and labels.</summary>
internal sealed record GenerativeEncodingOptions
{
    /// <summary>Longest encoded example in tokens; null (the default) = the tokenizer's <c>model_max_length</c>.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Too-long examples are refused (default) or truncated.</summary>
    public OverlongExampleHandling Overlong { get; init; } = OverlongExampleHandling.Refuse;

    /// <summary>Loss on completion / assistant tokens only (default) or on all tokens.</summary>
    public GenerativeLossTokens LossTokens { get; init; } = GenerativeLossTokens.CompletionOnly;

    /// <summary>
    /// Append the tokenizer's EOS after a prompt/completion example (default true) so that the model learns to stop.
    /// Chat examples end each assistant turn with the template's own end-of-turn marker instead.
    /// </summary>
    public bool AppendEos { get; init; } = true;
}
