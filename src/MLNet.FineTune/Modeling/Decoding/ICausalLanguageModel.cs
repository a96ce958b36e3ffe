using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>
/// What generation, training and PEFT need from any decoder: hidden states for a <see cref="DecoderInput"/>, the
/// language-model head on them, and a fresh <see cref="KvCache"/>. GPT-2 and the Llama family implement it.
/// </summary>
internal interface ICausalLanguageModel
{
    DecoderConfig Config { get; }

    /// <summary>The module holding every parameter, named as the Hugging Face checkpoint names them.</summary>
    nn.Module Module { get; }

    /// <summary>Final hidden states (B, T, H) after the last norm.</summary>
    Tensor HiddenStates(DecoderInput input);

    /// <summary>Logits (…, vocab) for hidden states (…, H): lm_head, or the token embeddings when tied.</summary>
    Tensor LanguageModelHead(Tensor hidden);

    /// <summary>An empty cache with one slot per layer; with a capacity, preallocated to that many positions on first use.</summary>
    KvCache NewCache(long? capacity = null);
}

internal static class CausalLanguageModelExtensions
{
    /// <summary>Logits (B, T, vocab) for every input position (HF's <c>model(**inputs).logits</c>).</summary>
    public static Tensor Logits(this ICausalLanguageModel model, DecoderInput input)
    {
        using var scope = NewDisposeScope();
        return model.LanguageModelHead(model.HiddenStates(input)).MoveToOuterDisposeScope();
    }
}
