using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling;

/// <summary>What an encoder computes for a batch: per-token states (B, T, H) and, where the architecture has one, the pooled [CLS] state (B, H).</summary>
internal sealed class EncoderOutput : IDisposable
{
    public EncoderOutput(Tensor lastHiddenState, Tensor? pooled, IReadOnlyList<Tensor>? hiddenStates = null)
    {
        LastHiddenState = lastHiddenState; Pooled = pooled; HiddenStates = hiddenStates;
    }
    public Tensor LastHiddenState { get; }
    public Tensor? Pooled { get; }
    /// <summary>Embeddings output and each layer's output, when asked for.</summary>
    public IReadOnlyList<Tensor>? HiddenStates { get; }

    public void Dispose()
    {
        LastHiddenState.Dispose(); Pooled?.Dispose();
        if (HiddenStates != null) foreach (var h in HiddenStates) h.Dispose();
    }
}

/// <summary>
/// A batch for an encoder. Either token ids or word-level embeddings (prompt tuning prepends virtual tokens there).
/// <see cref="PaddingUnread"/>: the caller reads nothing at padding positions (heads and pooling use the mask), so an
/// inference pass may pack the batch too (<see cref="PaddingFreeBatch"/>); the states there are then zeros.
/// </summary>
internal sealed record EncoderInput(Tensor AttentionMask, Tensor? InputIds = null, Tensor? TokenTypeIds = null, Tensor? InputsEmbeds = null,
    bool PaddingUnread = false);

/// <summary>
/// The common surface of the BERT-family encoders. Parameter names are Hugging Face's base-model names
/// (<c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.0.attention.self.query.weight</c>…), so checkpoints load by name.
/// </summary>
internal abstract class EncoderModel : nn.Module
{
    protected EncoderModel(string name, TransformerConfig config) : base(name) { Config = config; }

    public TransformerConfig Config { get; }

    /// <summary>
    /// Whether training-mode forward passes pack a right-padded batch's tokens into fewer rows (<see cref="PaddingFreeBatch"/>).
    /// On by default; MLNET_FINETUNE_PACKING=0 turns it off, for benchmarks that compare the two.
    /// </summary>
    internal static bool PackPaddedBatches { get; set; } = Environment.GetEnvironmentVariable("MLNET_FINETUNE_PACKING") != "0";

    /// <summary>
    /// The packing plan for this pass, or null: packing applies in training, and in inference when the caller reads no
    /// padding states; never when every layer's states are asked for (they are compared position by position).
    /// </summary>
    protected PaddingFreeBatch? PlanPacking(EncoderInput input, bool outputHiddenStates, ScalarType dtype) =>
        (training || input.PaddingUnread) && !outputHiddenStates && PackPaddedBatches ? PaddingFreeBatch.Plan(input.AttentionMask, dtype) : null;

    /// <summary>Word embeddings only (B, T) → (B, T, H): what prompt tuning concatenates its virtual tokens to.</summary>
    public abstract Tensor EmbedWords(Tensor inputIds);

    public abstract EncoderOutput Forward(EncoderInput input, bool outputHiddenStates = false);

    public EncoderOutput Forward(Tensor inputIds, Tensor attentionMask, Tensor? tokenTypeIds = null) =>
        Forward(new EncoderInput(attentionMask, inputIds, tokenTypeIds));

    /// <summary>
    /// (B, T) mask of 1/0 → (B, 1, 1, T) additive mask for scaled-dot-product attention: 0 where attended, the float
    /// minimum where padded (as Hugging Face's get_extended_attention_mask), so padding never leaks into real tokens.
    /// </summary>
    protected static Tensor AdditiveMask(Tensor attentionMask, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var minValue = float.MinValue.ToScalar(); // disposed at once, see ScalarFree
        var m = attentionMask.to(dtype).unsqueeze(1).unsqueeze(2);
        return m.neg().add_(ScalarFree.One, ScalarFree.One).mul_(minValue).MoveToOuterDisposeScope(); // (1 - m) * min
    }
}
