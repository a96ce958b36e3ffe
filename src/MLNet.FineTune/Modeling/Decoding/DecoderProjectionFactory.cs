using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>
/// Builds each linear projection of a decoder from its Hugging Face dotted path (<c>model.layers.0.self_attn.q_proj</c>,
/// <c>transformer.h.0.attn.c_attn</c>). Unlike encoders, decoder projections often have no bias (Llama), so the factory
/// is told. PEFT methods pass a factory that wraps targeted projections (LoRA).
/// </summary>
internal delegate nn.Module<Tensor, Tensor> DecoderProjectionFactory(string path, long inFeatures, long outFeatures, bool hasBias);

internal static class DecoderProjections
{
    public static readonly DecoderProjectionFactory Plain = (_, inFeatures, outFeatures, hasBias) => nn.Linear(inFeatures, outFeatures, hasBias);
}
