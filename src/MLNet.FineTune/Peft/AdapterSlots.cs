using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft;

/// <summary>
/// Submodules by adapter name that can be added and removed after construction (TorchSharp's ModuleDict registers its
/// children only once). Parameter names come out as <c>&lt;slot&gt;.&lt;adapter&gt;.weight</c>, as PEFT's ModuleDicts.
/// </summary>
internal sealed class AdapterSlots : nn.Module
{
    readonly Dictionary<string, nn.Module<Tensor, Tensor>> slots = new();

    public AdapterSlots() : base(nameof(AdapterSlots)) { }

    public IReadOnlyCollection<string> Names => slots.Keys;

    public bool Contains(string name) => slots.ContainsKey(name);

    public nn.Module<Tensor, Tensor> this[string name] => slots[name];

    public void Add(string name, nn.Module<Tensor, Tensor> module)
    {
        if (slots.ContainsKey(name)) throw new ArgumentException($"An adapter named '{name}' already exists.");
        slots.Add(name, module);
        register_module(name, module);
    }

    public void Remove(string name)
    {
        if (!slots.Remove(name, out var module)) return;
        _internal_submodules.Remove(name);
        module.Dispose();
    }
}
