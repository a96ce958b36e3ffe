using MLNet.FineTune.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using MLNet.FineTune.Modeling.WeightPacking;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft;

/// <summary>
/// An output projection followed by a residual bottleneck adapter: <c>y = base(x); y + up(act(down(y)))</c>. The
/// up-projection starts at zero, so a fresh adapter is exactly the identity and training starts from the pretrained
/// model. The base is registered as <c>base_layer</c> (checkpoints still load by Hugging Face name); the adapter as
/// <c>adapter_down</c> / <c>adapter_up</c>. It sits before the block's dropout + residual + LayerNorm, as in Houlsby.
/// With per-task adapters (<see cref="PeftOptions.AdapterPerTask"/>) it holds one adapter per task, named
/// <c>adapter_down.&lt;task&gt;</c> / <c>adapter_up.&lt;task&gt;</c>, and computes with the task chosen on the calling thread.
/// </summary>
internal sealed class BottleneckAdapterLinear : nn.Module<Tensor, Tensor>
{
    readonly Linear base_layer;
    readonly Linear? adapter_down, adapter_up;    // a single adapter
    readonly AdapterSlots? downByTask, upByTask; // or one per task
    readonly Func<Tensor, Tensor> activation;

    /// <param name="path">Hugging Face dotted path of the wrapped projection.</param>
    /// <param name="baseLayer">The projection.</param>
    /// <param name="bottleneck">Adapter width.</param>
    /// <param name="nonLinearity">relu, gelu, tanh, silu/swish.</param>
    /// <param name="taskAdapters">One adapter per name (per-task adapters); null: a single adapter.</param>
    public BottleneckAdapterLinear(string path, Linear baseLayer, long bottleneck, string nonLinearity, IReadOnlyList<string>? taskAdapters = null)
        : base(nameof(BottleneckAdapterLinear))
    {
        Path = path;
        base_layer = baseLayer;
        activation = Activation(nonLinearity);
        long hidden = baseLayer.weight!.shape[0];
        if (taskAdapters is null)
            (adapter_down, adapter_up) = NewAdapter(hidden, bottleneck);
        else
        {
            downByTask = new AdapterSlots();
            upByTask = new AdapterSlots();
            foreach (var task in taskAdapters)
            {
                var (down, up) = NewAdapter(hidden, bottleneck);
                downByTask.Add(task, down);
                upByTask.Add(task, up);
            }
        }
        // Registered by hand, in this order, because the adapter fields are Linear or AdapterSlots: same names as before either way.
        register_module("base_layer", base_layer);
        register_module("adapter_down", (nn.Module?)adapter_down ?? downByTask!);
        register_module("adapter_up", (nn.Module?)adapter_up ?? upByTask!);
    }

    public string Path { get; }
    public Linear BaseLayer => base_layer;
    /// <summary>The per-task adapter names, or empty for a single adapter.</summary>
    public IReadOnlyCollection<string> TaskAdapters => downByTask?.Names ?? (IReadOnlyCollection<string>)Array.Empty<string>();

    static (Linear Down, Linear Up) NewAdapter(long hidden, long bottleneck)
    {
        var down = nn.Linear(hidden, bottleneck);
        var up = nn.Linear(bottleneck, hidden);
        using (no_grad()) { nn.init.zeros_(up.weight!); nn.init.zeros_(up.bias!); }
        return (down, up);
    }

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
        (nn.Module<Tensor, Tensor> down, nn.Module<Tensor, Tensor> up) = downByTask is null ? (adapter_down!, adapter_up!) : TaskAdapter();
        var y = PackedWeightScoring.Project(base_layer, x);
        return y.Plus(up.call(activation(down.call(y)))).MoveToOuterDisposeScope();
    }

    (nn.Module<Tensor, Tensor>, nn.Module<Tensor, Tensor>) TaskAdapter()
    {
        var task = TaskAdapterScope.Current
            ?? throw new InvalidOperationException($"{Path} has one adapter per task ({string.Join(", ", downByTask!.Names)}); compute inside PeftModel.UseTaskAdapter(name).");
        if (!downByTask!.Contains(task)) throw new ArgumentException($"{Path} has no adapter for task '{task}'; have: {string.Join(", ", downByTask.Names)}.");
        return (downByTask[task], upByTask![task]);
    }
}
