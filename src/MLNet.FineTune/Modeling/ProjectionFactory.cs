using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// Builds every linear projection of an encoder, given its dotted Hugging Face path (e.g.
/// <c>encoder.layer.0.attention.self.query</c>). The default makes a plain <see cref="Linear"/>; PEFT methods pass a
/// factory that wraps the base layer (LoRA, bottleneck adapters) when the path matches their target modules. Deciding
/// the wrapping while the module is built avoids replacing submodules after RegisterComponents, which is fragile.
/// </summary>
internal delegate nn.Module<Tensor, Tensor> ProjectionFactory(string path, long inFeatures, long outFeatures);

internal static class Projections
{
    public static readonly ProjectionFactory Plain = (_, inFeatures, outFeatures) => nn.Linear(inFeatures, outFeatures);
}
