namespace MLNet.FineTune.Training;

/// <summary>
/// SplitMix64: a tiny generator whose sequence is fixed by this code, not by the .NET version,
/// so shuffles (and therefore checkpoints' data positions) stay reproducible everywhere.
/// </summary>
internal sealed class DeterministicRandom(ulong seed)
{
    ulong state = seed;

    /// <summary>Generator for one epoch of one run.</summary>
    public static DeterministicRandom ForEpoch(int seed, int epoch) =>
        new(unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(uint)epoch * 0xD1B54A32D192ED03UL + 1));

    public ulong NextUInt64()
    {
        ulong z = unchecked(state += 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, maxExclusive), rejection-sampled to avoid modulo bias.</summary>
    public int NextInt(int maxExclusive)
    {
        ulong bound = (ulong)maxExclusive;
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do r = NextUInt64(); while (r >= limit);
        return (int)(r % bound);
    }

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
