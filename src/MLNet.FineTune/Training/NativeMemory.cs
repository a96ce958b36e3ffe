using System.Runtime.InteropServices;

namespace MLNet.FineTune.Training;

/// <summary>
/// Returns freed native memory to the OS. glibc keeps the arenas libtorch frees, so a training process's RSS
/// creeps up ~25-30 MiB per step without this (seen on a BERT-size run); <c>malloc_trim(0)</c> holds it flat.
/// </summary>
internal static class NativeMemory
{
    static bool unavailable = !OperatingSystem.IsLinux();

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int MallOpt(int parameter, int value);

    const int MTrimThreshold = -1, MTopPad = -2, MMmapThreshold = -3;
    const int MiB = 1 << 20;
    static readonly Lock heapLock = new();
    static int runsRetainingHeap;

    /// <summary>Training runs in this process holding <see cref="RetainHeap"/> now (0 when glibc's settings are the restored ones).</summary>
    internal static int RunsRetainingHeap { get { lock (heapLock) return runsRetainingHeap; } }

    /// <summary>
    /// Whether training keeps freed native memory in the process between steps (MLNET_FINETUNE_RETAIN_HEAP=0 turns it off,
    /// for comparisons).
    /// </summary>
    internal static bool RetainHeapDuringTraining { get; set; } = Environment.GetEnvironmentVariable("MLNET_FINETUNE_RETAIN_HEAP") != "0";

    /// <summary>
    /// For the duration of a training run, stops glibc from handing freed memory back to the kernel after every step.
    /// A step frees tens of MiB of activations and gradients; with glibc's defaults the top of the heap is trimmed as soon
    /// as more than its (dynamic, at most 64 MiB) threshold is free, and the next step faults the same pages back in, each
    /// zeroed by the kernel. On a 2-core Zen 5 VM that made a LoRA step of the bench.py workload take 565–675 ms instead of
    /// 317–330 ms (issue #17, docs/benchmarks.md). During the run: allocations up to 32 MiB come from the heap (glibc's own
    /// ceiling for its dynamic threshold), up to 512 MiB free at the top is kept, and the heap grows 64 MiB at a time;
    /// <see cref="Trim"/> every <see cref="TrainingOptions.TrimNativeMemoryEverySteps"/> steps still bounds what is kept.
    /// Disposing restores a 64 MiB trim threshold and glibc's default pad and trims. Runs may overlap: the last one out restores.
    /// </summary>
    public static IDisposable RetainHeap()
    {
        if (unavailable || !RetainHeapDuringTraining) return NoOp.Instance;
        lock (heapLock)
        {
            if (runsRetainingHeap++ == 0 && !SetHeap(trimThreshold: 512 * MiB, topPad: 64 * MiB)) runsRetainingHeap = 0;
        }
        return new HeapRetention();
    }

    static bool SetHeap(int trimThreshold, int topPad)
    {
        try
        {
            return MallOpt(MMmapThreshold, 32 * MiB) == 1 & MallOpt(MTrimThreshold, trimThreshold) == 1 & MallOpt(MTopPad, topPad) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            unavailable = true;
            return false;
        }
    }

    sealed class HeapRetention : IDisposable
    {
        int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            lock (heapLock)
            {
                if (runsRetainingHeap == 0 || --runsRetainingHeap > 0) return;
                SetHeap(trimThreshold: 64 * MiB, topPad: 128 * 1024);
                Trim();
            }
        }
    }

    sealed class NoOp : IDisposable
    {
        public static readonly NoOp Instance = new();
        public void Dispose() { }
    }

    /// <summary>Calls <c>malloc_trim(0)</c> on Linux/glibc; a no-op elsewhere (including musl, which lacks it).</summary>
    /// <returns>True when memory was trimmed.</returns>
    public static bool Trim()
    {
        if (unavailable) return false;
        try
        {
            return MallocTrim(0) != 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            unavailable = true;
            return false;
        }
    }
}
