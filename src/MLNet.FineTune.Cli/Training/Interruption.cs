using System.Globalization;
using System.Runtime.InteropServices;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// Ctrl+C (SIGINT) or SIGTERM during training: the first one cancels the run at the next step boundary (the trainer then writes
/// a checkpoint); a second one ends the process at once, as usual. For tests, <c>MLNET_FINETUNE_CANCEL_AFTER_STEPS=N</c>
/// cancels the same way once N optimizer steps are done (signal timing is not reproducible; the step count is).
/// </summary>
internal sealed class Interruption : IDisposable
{
    public const string CancelAfterStepsVariable = "MLNET_FINETUNE_CANCEL_AFTER_STEPS";

    readonly CancellationTokenSource source = new();
    readonly PosixSignalRegistration[] registrations;
    readonly int? cancelAfterSteps;

    public Interruption()
    {
        registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
        if (int.TryParse(Environment.GetEnvironmentVariable(CancelAfterStepsVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0)
            cancelAfterSteps = n;
    }

    public CancellationToken Token => source.Token;

    public bool Requested => source.IsCancellationRequested;

    /// <summary>Called after every step: the test hook's cancellation point.</summary>
    public void StepDone(int step)
    {
        if (cancelAfterSteps is { } n && step >= n) source.Cancel();
    }

    void Handle(PosixSignalContext context)
    {
        if (source.IsCancellationRequested) return; // second signal: default handling ends the process
        context.Cancel = true;
        source.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
        source.Dispose();
    }
}
