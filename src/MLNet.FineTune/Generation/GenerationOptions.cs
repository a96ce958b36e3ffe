namespace MLNet.FineTune.Generation;

/// <summary>
/// How <see cref="TextGenerator"/> picks tokens, with Hugging Face <c>generate()</c>'s meanings and defaults. Greedy
/// unless <see cref="DoSample"/>; sampling applies, in HF's order, the repetition penalty, temperature, top-k, top-p.
/// </summary>
internal sealed record GenerationOptions
{
    /// <summary>Most tokens generated per prompt (HF <c>max_new_tokens</c>).</summary>
    public int MaxNewTokens { get; init; } = 20;
    /// <summary>Sample from the (processed) distribution instead of taking the most likely token.</summary>
    public bool DoSample { get; init; }
    /// <summary>Divides the logits before sampling; below 1 sharpens, above 1 flattens. Sampling only.</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Keep only the k most likely tokens (0: off). Sampling only.</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of most likely tokens whose probability reaches p (1: off). Sampling only.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>CTRL's penalty on tokens already in the prompt or the output (1: off); applies to greedy decoding too.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;
    /// <summary>Generation of a row ends when its decoded output contains one of these; the text is cut before it.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];
    /// <summary>Seed of this generation's own random stream (sampling); equal seeds give equal tokens.</summary>
    public long Seed { get; init; }
    /// <summary>Tokens that end a row. Null: the model config's eos_token_id; empty: never stop early (HF <c>eos_token_id=None</c>).</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }
    /// <summary>Token that left-pads shorter prompts of a batch (masked out). Null: the config's pad, else the first eos, else 0.</summary>
    public int? PadTokenId { get; init; }
    /// <summary>Reuse earlier steps' keys and values (the same tokens, far fewer operations per step).</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Throws naming the option (as <paramref name="owner"/>.Name), its value and the valid range.</summary>
    public void Validate(string owner = nameof(GenerationOptions))
    {
        if (MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, $"{owner}.MaxNewTokens must be at least 1.");
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, $"{owner}.Temperature must be a positive finite number (DoSample = false for greedy decoding).");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, $"{owner}.TopK must be 0 (off) or positive.");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, $"{owner}.TopP must be in (0, 1]; 1 turns it off.");
        if (!(RepetitionPenalty > 0) || double.IsInfinity(RepetitionPenalty))
            throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, $"{owner}.RepetitionPenalty must be a positive finite number; 1 turns it off.");
        if (StopSequences is null || StopSequences.Any(string.IsNullOrEmpty))
            throw new ArgumentException($"{owner}.StopSequences must be a list without null or empty strings.", nameof(StopSequences));
    }
}

/// <summary>Why a row stopped.</summary>
internal enum FinishReason { Length, EndOfSequence, StopSequence, Cancelled }

/// <summary>One prompt's result: the new tokens (an ending eos excluded), their text (cut before a stop sequence) and why it ended.</summary>
internal sealed record GeneratedSequence(IReadOnlyList<int> TokenIds, string? Text, FinishReason FinishReason);
