using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling;

/// <summary>The activations Hugging Face names in <c>hidden_act</c> / <c>activation</c>.</summary>
internal static class Activations
{
    /// <summary>The names <see cref="Get"/> knows.</summary>
    public static readonly IReadOnlyList<string> Names = ["gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish", "tanh"];

    public static bool IsKnown(string name) => Names.Contains(name);

    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => GeluTanh,
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        "tanh" => x => x.tanh(),
        _ => throw new NotSupportedException($"Activation '{name}' is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu, silu, tanh)."),
    };

    // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as transformers' NewGELUActivation.
    // The same operations in the same order as the formula written with C# operators, on cached Scalars: each number
    // handed to a tensor op would otherwise become a Scalar left to the finalizer, ~8 per call (see ScalarFree).
    static Tensor GeluTanh(Tensor x)
    {
        using var scope = NewDisposeScope();
        var inner = x.add(x.pow(Three).mul(Cubic), ScalarFree.One).mul(SqrtTwoOverPi);
        return x.mul(Half).mul(inner.tanh().add(ScalarFree.One, ScalarFree.One)).MoveToOuterDisposeScope();
    }

    static readonly Scalar Three = 3.ToScalar(), Cubic = 0.044715.ToScalar(), SqrtTwoOverPi = Math.Sqrt(2.0 / Math.PI).ToScalar(),
        Half = 0.5.ToScalar();
}
