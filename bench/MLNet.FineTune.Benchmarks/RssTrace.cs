namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Samples this process's resident set once a second while a fit runs (a timer thread), to show whether memory grows
/// with the number of steps: the report is the first sample, one at each tenth of the run, and the largest.
/// </summary>
internal sealed class RssTrace : IDisposable
{
    readonly List<double> samples = new();
    readonly Timer timer;

    public RssTrace() => timer = new Timer(_ => { lock (samples) samples.Add(ProcessMemory.CurrentRssMb()); }, null, 0, 1000);

    public void Dispose() => timer.Dispose();

    /// <summary>MiB at 0%, 10%, …, 100% of the samples (11 values), and the maximum.</summary>
    public Dictionary<string, object> Report()
    {
        lock (samples)
        {
            if (samples.Count == 0) return new();
            var deciles = Enumerable.Range(0, 11).Select(i => samples[Math.Min(samples.Count - 1, i * (samples.Count - 1) / 10)]).ToArray();
            return new Dictionary<string, object> { ["rss_mib_by_tenth_of_fit"] = deciles, ["rss_mib_max_during_fit"] = samples.Max(), ["rss_samples"] = samples.Count };
        }
    }
}
