namespace MLNet.FineTune;

/// <summary>
/// How a fitted text-generation model writes its output, with Hugging Face <c>generate()</c>'s meanings. Greedy by
/// default (the same prompt always gives the same text); <see cref="DoSample"/> draws from the distribution after the
/// repetition penalty, temperature, top-k and top-p, with <see cref="Seed"/> for reproducible draws. Saved with the model.
/// </summary>
public sealed record TextGenerationSettings
{
    /// <summary>Most tokens generated per prompt. Default 64.</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>Sample instead of taking the most likely token. Default false (greedy).</summary>
    public bool DoSample { get; init; }

    /// <summary>Divides the logits before sampling (below 1 sharpens). Sampling only. Default 1.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens; 0 turns it off. Sampling only. Default 0.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches p; 1 turns it off. Sampling only. Default 1.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Penalty on tokens already in the prompt or output (CTRL's); 1 turns it off; applies to greedy decoding too. Default 1.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>Generation of a row ends when its text contains one of these; the text is cut before it. Default none.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Seed of each generation call's own random stream (sampling): equal seeds give equal text. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Prompts generated together (left-padded into one batch) when transforming an IDataView. Default 8.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Throws naming the setting, its value and the valid range (the generation loop's own checks, plus the batch size).</summary>
    internal void Validate(string owner)
    {
        ToGenerationOptions().Validate(owner);
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"{owner}.BatchSize must be at least 1.");
    }

    /// <summary>The generation loop's options for this model (eos and padding from its config).</summary>
    internal Generation.GenerationOptions ToGenerationOptions() => new()
    {
        MaxNewTokens = MaxNewTokens, DoSample = DoSample, Temperature = Temperature, TopK = TopK, TopP = TopP,
        RepetitionPenalty = RepetitionPenalty, StopSequences = StopSequences, Seed = Seed,
    };
}
