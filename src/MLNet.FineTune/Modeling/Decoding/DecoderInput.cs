using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>
/// One forward pass of a causal LM, as Hugging Face's arguments: <paramref name="InputIds"/> (B, T) are the new tokens;
/// <paramref name="AttentionMask"/> (B, past + T), 1 for real tokens, covers the cached positions too; without
/// <paramref name="PositionIds"/> positions are <c>past … past + T − 1</c> (HF's default, even when padded; generation
/// derives them from the mask instead, see <see cref="DecoderMasks.PositionIds"/>); with a <paramref name="Cache"/>
/// the keys and values of earlier steps come from it and this step's are appended. <paramref name="SequenceIds"/>
/// (B, T), for rows that pack several examples, numbers the example each token belongs to: a token then attends only
/// to earlier tokens of its own example (block-diagonal causal attention; see <see cref="DecoderMasks.Additive"/>),
/// and <paramref name="PositionIds"/> should restart at 0 for each example. Packing is for training: not with a cache.
/// </summary>
internal sealed record DecoderInput(Tensor InputIds, Tensor? AttentionMask = null, Tensor? PositionIds = null, KvCache? Cache = null, Tensor? SequenceIds = null);
