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
    static Tensor GeluTanh(Tensor x)
    {
        using var scope = NewDisposeScope();
        var inner = (x + x.pow(3) * 0.044715) * Math.Sqrt(2.0 / Math.PI);
        return (x * 0.5 * (inner.tanh() + 1.0)).MoveToOuterDisposeScope();
    }
}
