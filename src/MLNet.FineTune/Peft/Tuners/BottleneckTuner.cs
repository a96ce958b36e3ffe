using MLNet.FineTune.Modeling;

namespace MLNet.FineTune.Peft.Tuners;

/// <summary>
/// Houlsby or Pfeiffer bottleneck adapters (<see cref="BottleneckAdapters"/> says where): built into the encoder while it
/// is built, the only encoder parameters that train.
/// </summary>
[Tuner(PeftMethod.Houlsby)]
[Tuner(PeftMethod.Pfeiffer)]
internal sealed class BottleneckTuner : ITuner
{
    readonly List<BottleneckAdapterLinear> built = new();

    public BottleneckTuner(TunerContext context) =>
        Projection = BottleneckAdapters.Factory(context.Options.Method, context.Options.Bottleneck, built, context.TaskAdapters);

    public ProjectionFactory Projection { get; }
    public IReadOnlyList<BottleneckAdapterLinear> Adapters => built;
    public bool IsAddedByProjection(string parameterName) => parameterName.Contains(".adapter_", StringComparison.Ordinal);
    public bool Trains(string encoderParameterName) => IsAddedByProjection(encoderParameterName);
}
