using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>Builds optimizer parameter groups.</summary>
internal static class ParameterGroups
{
    /// <summary>Group name of parameters that receive weight decay.</summary>
    public const string DecayGroupName = "decay";

    /// <summary>Group name of biases and normalization weights (no weight decay).</summary>
    public const string NoDecayGroupName = "no_decay";

    /// <summary>
    /// Hugging Face's rule: every trainable parameter decays except biases and the weights of normalization
    /// layers. Normalization layers are found both by module type (<see cref="LayerNorm"/>) and by name,
    /// so names like "LayerNorm.weight", "layer_norm.weight", "norm1.weight" or "ln_f.weight" go to no-decay.
    /// </summary>
    /// <param name="module">The model; its frozen parameters are left out.</param>
    /// <param name="weightDecay">Decay of the decay group.</param>
    public static IReadOnlyList<ParameterGroup> ForTransformer(nn.Module module, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(module);
        var normModules = new HashSet<string>(
            module.named_modules().Where(m => m.module is LayerNorm).Select(m => m.name), StringComparer.Ordinal);
        return Split(module.named_parameters(), weightDecay, name => IsNoDecay(name) || normModules.Contains(ModulePath(name)));
    }

    /// <summary>Same rule as <see cref="ForTransformer(nn.Module, double)"/>, by parameter name only.</summary>
    public static IReadOnlyList<ParameterGroup> ForTransformer(IEnumerable<(string name, Parameter parameter)> namedParameters, double weightDecay)
    {
        ArgumentNullException.ThrowIfNull(namedParameters);
        return Split(namedParameters, weightDecay, IsNoDecay);
    }

    /// <summary>All trainable parameters in one group with the given decay.</summary>
    public static IReadOnlyList<ParameterGroup> Single(IEnumerable<(string name, Parameter parameter)> namedParameters, double weightDecay) =>
        [new ParameterGroup(DecayGroupName, namedParameters.Select(p => (p.name, p.parameter)), weightDecay)];

    /// <summary>True for names that Hugging Face exempts from weight decay: biases and normalization weights.</summary>
    public static bool IsNoDecay(string parameterName)
    {
        if (parameterName.Contains("bias", StringComparison.OrdinalIgnoreCase)) return true;
        var owner = LastSegment(ModulePath(parameterName)).ToLowerInvariant();
        return owner.Contains("norm") || owner == "ln" || owner.StartsWith("ln_", StringComparison.Ordinal);
    }

    static IReadOnlyList<ParameterGroup> Split(IEnumerable<(string name, Parameter parameter)> all, double weightDecay, Func<string, bool> noDecay)
    {
        var list = all.ToList();
        return
        [
            new ParameterGroup(DecayGroupName, list.Where(p => !noDecay(p.name)).Select(p => (p.name, p.parameter)), weightDecay),
            new ParameterGroup(NoDecayGroupName, list.Where(p => noDecay(p.name)).Select(p => (p.name, p.parameter)), 0.0),
        ];
    }

    static string ModulePath(string parameterName)
    {
        int dot = parameterName.LastIndexOf('.');
        return dot < 0 ? "" : parameterName[..dot];
    }

    static string LastSegment(string path)
    {
        int dot = path.LastIndexOf('.');
        return dot < 0 ? path : path[(dot + 1)..];
    }
}
