namespace MLNet.FineTune.Tokenization;

/// <summary>
/// A token matched literally in the text before sub-word tokenization (Hugging Face "added token"), e.g. <c>[MASK]</c>.
/// <see cref="LStrip"/>/<see cref="RStrip"/> swallow the whitespace on that side (RoBERTa's <c>&lt;mask&gt;</c>).
/// <see cref="Normalized"/> tokens are matched in the normalized text instead (only a tokenizer.json pipeline with a
/// normalizer sets it: <see cref="PipelineBpeTransformerTokenizer"/>).
/// </summary>
internal sealed record AddedToken(string Content, int Id, bool Special, bool LStrip, bool RStrip, bool Normalized = false);
