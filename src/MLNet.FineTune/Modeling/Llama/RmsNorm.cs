using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Llama;

/// <summary>LlamaRMSNorm: x / √(mean(x²) + eps) · weight, computed in float32 whatever the input type.</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Scalar eps; // cached: a double handed to each call would be a Scalar left to the finalizer (see ScalarFree)
    static readonly Scalar Two = 2.ToScalar();

    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        this.eps = eps.ToScalar();
        weight = new Parameter(ones(size));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to_type(ScalarType.Float32);
        var variance = x32.pow(Two).mean([-1], keepdim: true);
        var normed = x32 * variance.add(eps, ScalarFree.One).rsqrt();
        return (weight * normed.to_type(x.dtype)).MoveToOuterDisposeScope();
    }
}
