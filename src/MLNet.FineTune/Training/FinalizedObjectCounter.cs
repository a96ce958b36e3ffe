using System.Diagnostics.Tracing;

namespace MLNet.FineTune.Training;

/// <summary>
/// Diagnostics: counts the objects the runtime finalizes (its FinalizeObject events). A TorchSharp wrapper that reaches the
/// finalizer held a native block until a garbage collection; in a training loop such blocks fragment glibc's heap and RSS
/// grows step after step (see <see cref="Modeling.ScalarFree"/>). Used by the tests and <c>BENCH_FINALIZERS=1</c>.
/// </summary>
internal sealed class FinalizedObjectCounter : EventListener
{
    int total, reported;

    /// <summary>Collects twice, waits for finalizers and returns how many objects were finalized since the previous call.</summary>
    public int Settle()
    {
        for (int i = 0; i < 2; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        Thread.Sleep(250); // runtime events reach listeners asynchronously
        int now = Volatile.Read(ref total), count = now - reported;
        reported = now;
        return count;
    }

    /// <summary>Runs <paramref name="action"/> and returns how many objects were finalized because of it (net of a no-op baseline).</summary>
    public int CountFinalized(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Settle();
        int baseline = Settle();
        action();
        return Math.Max(0, Settle() - baseline);
    }

    /// <inheritdoc/>
    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: FinalizeObject is a verbose GC event
    }

    /// <inheritdoc/>
    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName == "FinalizeObject") Interlocked.Increment(ref total);
    }
}
