using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace MLNet.FineTune.Benchmarks;

/// <summary>Counts finalized objects by type (the runtime's FinalizeObject events): native wrappers that no dispose scope freed.</summary>
sealed class FinalizerCounter : EventListener
{
    public ConcurrentDictionary<string, int> Counts { get; } = new();

    int _total, _reported;

    /// <summary>Collects, waits for finalizers and returns how many objects were finalized since the last call.</summary>
    public int Settle()
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); Thread.Sleep(300);
        int n = _total - _reported; _reported = _total; return n;
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName != "FinalizeObject" || e.Payload is null) return;
        int i = e.PayloadNames!.IndexOf("TypeName");
        string type = i >= 0 ? e.Payload[i]?.ToString() ?? "?" : "?";
        Interlocked.Increment(ref _total);
        Counts.AddOrUpdate(type, 1, (_, n) => n + 1);
    }
}
