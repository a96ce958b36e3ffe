namespace MLNet.FineTune.Benchmarks;

/// <summary>Order statistics of timing samples (the same median rule as bench.py: mean of the middle two when even).</summary>
public static class Stats
{
    public static double Median(IEnumerable<double> samples)
    {
        var s = samples.OrderBy(x => x).ToArray();
        if (s.Length == 0) throw new ArgumentException("No samples.", nameof(samples));
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    /// <summary>Nearest-rank percentile, p in (0, 100].</summary>
    public static double Percentile(IEnumerable<double> samples, double p)
    {
        var s = samples.OrderBy(x => x).ToArray();
        int rank = (int)Math.Ceiling(p / 100.0 * s.Length);
        return s[Math.Clamp(rank - 1, 0, s.Length - 1)];
    }
}
