using TorchSharp.Modules;

namespace MLNet.FineTune.Training;

/// <summary>
/// A set of trainable parameters that share a weight decay (and optionally a learning-rate multiplier).
/// Only parameters with <c>requires_grad</c> are kept, so frozen weights never reach the optimizer.
/// </summary>
internal sealed class ParameterGroup
{
    /// <summary>Creates a group from named parameters, dropping those that do not require gradients.</summary>
    /// <param name="name">Label used in logs and checkpoint validation (e.g. "decay", "no_decay").</param>
    /// <param name="parameters">Named parameters; frozen ones are skipped.</param>
    /// <param name="weightDecay">Decoupled weight decay coefficient (AdamW's lambda); 0 disables it.</param>
    /// <param name="learningRateScale">Multiplier applied to the scheduled learning rate for this group.</param>
    public ParameterGroup(string name, IEnumerable<(string Name, Parameter Parameter)> parameters, double weightDecay, double learningRateScale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (weightDecay < 0 || double.IsNaN(weightDecay))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, $"Weight decay of group '{name}' must be >= 0.");
        if (!(learningRateScale > 0))
            throw new ArgumentOutOfRangeException(nameof(learningRateScale), learningRateScale, $"Learning-rate scale of group '{name}' must be > 0.");
        Name = name;
        WeightDecay = weightDecay;
        LearningRateScale = learningRateScale;
        var kept = parameters.Where(p => p.Parameter.requires_grad).ToList();
        ParameterNames = kept.Select(p => p.Name).ToArray();
        Parameters = kept.Select(p => p.Parameter).ToArray();
    }

    /// <summary>Group label.</summary>
    public string Name { get; }

    /// <summary>Decoupled weight decay coefficient of this group.</summary>
    public double WeightDecay { get; }

    /// <summary>Multiplier on the scheduled learning rate (1 = the run's learning rate).</summary>
    public double LearningRateScale { get; }

    /// <summary>The trainable parameters, in a stable order (the order given).</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Dotted names of <see cref="Parameters"/>, same order.</summary>
    public IReadOnlyList<string> ParameterNames { get; }

    /// <summary>Learning rate used by the next optimizer step; set by the scheduler.</summary>
    public double LearningRate { get; set; }
}
