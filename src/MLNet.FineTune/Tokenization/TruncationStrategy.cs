namespace MLNet.FineTune.Tokenization;

/// <summary>
/// How <see cref="TransformerTokenizer.Encode"/> shortens input that does not fit <c>maxLength</c>.
/// Mirrors Hugging Face's <c>TruncationStrategy</c>; tokens are always removed from the right end.
/// </summary>
// Public in MLNet.FineTune; internal where MLNet.FineTune.Onnx compiles this file in (one public type per name across both packages).
#if MLNET_FINETUNE_ONNX
internal
#else
public
#endif
enum TruncationStrategy
{
    /// <summary>Remove one token at a time from the longer sequence (the second one on ties); a single text is cut at its end.</summary>
    LongestFirst,

    /// <summary>Cut only the first sequence.</summary>
    OnlyFirst,

    /// <summary>Cut only the second sequence (a text pair is required).</summary>
    OnlySecond,

    /// <summary>Never cut; the result may be longer than <c>maxLength</c>.</summary>
    DoNotTruncate,
}
