using System.Diagnostics.Tracing;

namespace MLNet.FineTune.Tests.Training;

/// <summary>
/// Counts objects the runtime finalizes (its FinalizeObject events). A TorchSharp wrapper that reaches the finalizer held a
/// native block until a garbage collection; in a training loop those blocks fragment glibc's heap and RSS grows.
/// </summary>
sealed class FinalizedObjectCounter : EventListener
{
    int total;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: FinalizeObject is a verbose GC event
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName == "FinalizeObject") Interlocked.Increment(ref total);
    }

    /// <summary>Runs <paramref name="action"/>, then collects and returns how many objects were finalized because of it (net of a no-op baseline).</summary>
    public int CountFinalized(Action action)
    {
        int baseline = Settle(() => { });
        return Math.Max(0, Settle(action) - baseline);
    }

    int Settle(Action action)
    {
        Settle();
        int before = Volatile.Read(ref total);
        action();
        Settle();
        return Volatile.Read(ref total) - before;
    }

    static void Settle()
    {
        for (int i = 0; i < 2; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        Thread.Sleep(250); // runtime events reach listeners asynchronously
    }
}
