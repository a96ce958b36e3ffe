using MLNet.FineTune.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft;

/// <summary>
/// An output projection followed by a residual bottleneck adapter: <c>y = base(x); y + up(act(down(y)))</c>. The
/// up-projection starts at zero, so a fresh adapter is exactly the identity and training starts from the pretrained
/// model. The base is registered as <c>base_layer</c> (checkpoints still load by Hugging Face name); the adapter as
/// <c>adapter_down</c> / <c>adapter_up</c>. It sits before the block's dropout + residual + LayerNorm, as in Houlsby.
/// </summary>
public sealed class BottleneckAdapterLinear : nn.Module<Tensor, Tensor>
{
    readonly Linear base_layer, adapter_down, adapter_up;
    readonly Func<Tensor, Tensor> activation;

    public BottleneckAdapterLinear(string path, Linear baseLayer, long bottleneck, string nonLinearity) : base(nameof(BottleneckAdapterLinear))
    {
        Path = path;
        base_layer = baseLayer;
        long hidden = baseLayer.weight!.shape[0];
        adapter_down = nn.Linear(hidden, bottleneck);
        adapter_up = nn.Linear(bottleneck, hidden);
        using (no_grad()) { nn.init.zeros_(adapter_up.weight!); nn.init.zeros_(adapter_up.bias!); }
        activation = Activation(nonLinearity);
        RegisterComponents();
    }

    public string Path { get; }
    public Linear BaseLayer => base_layer;

    /// <summary>The adapter's non-linearity by name; unknown names are refused with the supported list.</summary>
    public static Func<Tensor, Tensor> Activation(string name) => name.ToLowerInvariant() switch
    {
        "relu" => t => nn.functional.relu(t),
        "gelu" => t => nn.functional.gelu(t),
        "tanh" => t => t.tanh(),
        "silu" or "swish" => t => nn.functional.silu(t),
        _ => throw new ArgumentException($"Bottleneck adapter non-linearity '{name}' is not supported (relu, gelu, tanh, silu)."),
    };

    /// <param name="x">(…, in)</param> <returns>(…, hidden)</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = base_layer.call(x);
        return y.Plus(adapter_up.call(activation(adapter_down.call(y)))).MoveToOuterDisposeScope();
    }
}
