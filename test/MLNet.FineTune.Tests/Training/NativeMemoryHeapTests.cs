using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Training;

/// <summary>
/// Training keeps freed native memory between steps (glibc thresholds raised for the run, issue #17); overlapping runs
/// share one setting and only the last one out restores glibc's.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class NativeMemoryHeapTests
{
    [TestMethod]
    public void OverlappingRunsRetainTheHeapUntilTheLastOneEnds()
    {
        if (!OperatingSystem.IsLinux() || !NativeMemory.RetainHeapDuringTraining) Assert.Inconclusive("glibc heap retention applies on Linux with MLNET_FINETUNE_RETAIN_HEAP unset");
        Assert.AreEqual(0, NativeMemory.RunsRetainingHeap, "no run holds the heap between tests");
        var first = NativeMemory.RetainHeap();
        Assert.AreEqual(1, NativeMemory.RunsRetainingHeap);
        var second = NativeMemory.RetainHeap();
        Assert.AreEqual(2, NativeMemory.RunsRetainingHeap);
        first.Dispose();
        first.Dispose(); // a second Dispose of the same run must not release another run's hold
        Assert.AreEqual(1, NativeMemory.RunsRetainingHeap);
        second.Dispose();
        Assert.AreEqual(0, NativeMemory.RunsRetainingHeap);
    }

    [TestMethod]
    public void TurnedOffItChangesNothing()
    {
        bool saved = NativeMemory.RetainHeapDuringTraining;
        NativeMemory.RetainHeapDuringTraining = false;
        try
        {
            using (NativeMemory.RetainHeap()) Assert.AreEqual(0, NativeMemory.RunsRetainingHeap);
        }
        finally { NativeMemory.RetainHeapDuringTraining = saved; }
    }
}
