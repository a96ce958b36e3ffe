using MLNet.FineTune.Heads.TokenTagging;

namespace MLNet.FineTune.Evaluation;

/// <summary>Settings of <see cref="SeqevalMetrics.Evaluate"/>, mirroring seqeval's keyword arguments.</summary>
public sealed class SeqevalOptions
{
    /// <summary>Default (conlleval-compatible) or strict entity extraction. Default: <see cref="SeqevalMode.Default"/>.</summary>
    public SeqevalMode Mode { get; init; } = SeqevalMode.Default;

    /// <summary>The scheme whose token rules strict mode applies; required for <see cref="SeqevalMode.Strict"/>.</summary>
    public TagScheme? Scheme { get; init; }

    /// <summary>
    /// Value for a precision or recall whose denominator is zero (seqeval's <c>zero_division</c>; its default
    /// <c>"warn"</c> behaves as 0). Default: 0.
    /// </summary>
    public double ZeroDivision { get; init; }
}
