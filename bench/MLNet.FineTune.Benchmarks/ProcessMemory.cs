using System.Globalization;

namespace MLNet.FineTune.Benchmarks;

/// <summary>Resident-set figures of this process from /proc/self/status (Linux); -1 where unavailable.</summary>
public static class ProcessMemory
{
    /// <summary>VmHWM: the peak resident set so far, MiB.</summary>
    public static double PeakRssMb() => Round(StatusKb("VmHWM"));

    /// <summary>VmRSS: the resident set now, MiB.</summary>
    public static double CurrentRssMb() => Round(StatusKb("VmRSS"));

    static double Round(long kb) => kb < 0 ? -1 : Math.Round(kb / 1024.0, 1);

    static long StatusKb(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return -1;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
