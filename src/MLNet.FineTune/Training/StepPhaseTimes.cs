using System.Diagnostics;
using System.Globalization;

namespace MLNet.FineTune.Training;

/// <summary>The phases of one optimizer step whose wall time <see cref="Trainer{TBatch}"/> accumulates.</summary>
internal enum StepPhase
{
    /// <summary>Building the batch tensors from examples (collation, padding).</summary>
    Data,

    /// <summary>The model's forward pass and loss.</summary>
    Forward,

    /// <summary>Autograd's backward pass.</summary>
    Backward,

    /// <summary>The gradient norm and clipping.</summary>
    Clip,

    /// <summary>The optimizer update.</summary>
    Optimizer,

    /// <summary>Clearing the gradients.</summary>
    ZeroGrad,
}

/// <summary>
/// Wall time spent in each <see cref="StepPhase"/> over a run, so that a slow step can be attributed without a profiler
/// (Stopwatch reads cost ~25 ns, nothing next to a step). Everything else (logging, progress, memory trimming) is the
/// remainder of the step time.
/// </summary>
internal sealed class StepPhaseTimes
{
    readonly long[] ticks = new long[Enum.GetValues<StepPhase>().Length];

    /// <summary>Optimizer steps timed.</summary>
    public int Steps { get; private set; }

    /// <summary>Starts timing a phase; dispose the result to stop.</summary>
    public PhaseScope Time(StepPhase phase) => new(this, phase, Stopwatch.GetTimestamp());

    /// <summary>Counts one completed optimizer step.</summary>
    public void CountStep() => Steps++;

    /// <summary>Mean milliseconds per optimizer step of a phase.</summary>
    public double MillisecondsPerStep(StepPhase phase) =>
        Steps == 0 ? 0 : this.ticks[(int)phase] * 1000.0 / Stopwatch.Frequency / Steps;

    /// <summary>One line, e.g. "per step: data 1.2 ms, forward 80.1 ms, …".</summary>
    public override string ToString() =>
        "per step: " + string.Join(", ", Enum.GetValues<StepPhase>().Select(p =>
            string.Create(CultureInfo.InvariantCulture, $"{p.ToString().ToLowerInvariant()} {MillisecondsPerStep(p):F1} ms")));

    /// <summary>Adds the time since <paramref name="start"/> to a phase on dispose.</summary>
    public readonly struct PhaseScope(StepPhaseTimes owner, StepPhase phase, long start) : IDisposable
    {
        public void Dispose() => owner.ticks[(int)phase] += Stopwatch.GetTimestamp() - start;
    }
}
