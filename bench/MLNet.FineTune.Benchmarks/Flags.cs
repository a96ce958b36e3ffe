using System.Globalization;

namespace MLNet.FineTune.Benchmarks;

/// <summary>Reads <c>--name value</c> pairs from the command line (invariant culture), with a fallback when absent.</summary>
public static class Flags
{
    public static int Int(string[] args, string flag, int fallback) =>
        Value(args, flag) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public static double Double(string[] args, string flag, double fallback) =>
        Value(args, flag) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public static string String(string[] args, string flag, string fallback) => Value(args, flag) ?? fallback;

    /// <summary>A switch without a value: present or not.</summary>
    public static bool Bool(string[] args, string flag) => Array.IndexOf(args, flag) >= 0;

    static string? Value(string[] args, string flag)
    {
        int i = Array.IndexOf(args, flag);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
