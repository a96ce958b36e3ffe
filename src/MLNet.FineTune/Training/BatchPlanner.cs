namespace MLNet.FineTune.Training;

/// <summary>
/// Decides which examples form each batch of an epoch. The plan depends only on (count, batch size, seed,
/// epoch, options, lengths), so a resumed run sees exactly the batches of an uninterrupted one.
/// </summary>
public static class BatchPlanner
{
    /// <summary>Examples per length-sorting window, in batches (HF's LengthGroupedSampler uses 50).</summary>
    public const int MegabatchMultiplier = 50;

    /// <summary>Plans one epoch; the last batch may be smaller.</summary>
    /// <param name="count">Number of examples.</param>
    /// <param name="batchSize">Examples per batch.</param>
    /// <param name="seed">Run seed.</param>
    /// <param name="epoch">Zero-based epoch (a new shuffle each epoch).</param>
    /// <param name="shuffle">False keeps the examples in order.</param>
    /// <param name="lengths">When given, batches are length-grouped: the shuffled examples are cut into windows
    /// of <see cref="MegabatchMultiplier"/> batches, each window is sorted by length (longest first) and cut into
    /// batches, and the batch order is shuffled again so long batches do not all come first.</param>
    public static IReadOnlyList<int[]> Plan(int count, int batchSize, int seed, int epoch, bool shuffle, Func<int, int>? lengths = null)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Example count must be >= 0.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be >= 1.");
        var random = DeterministicRandom.ForEpoch(seed, epoch);
        var order = Enumerable.Range(0, count).ToArray();
        if (shuffle) random.Shuffle(order);
        if (lengths is null) return Chunk(order, batchSize);

        var batches = new List<int[]>();
        int window = batchSize * MegabatchMultiplier;
        for (int start = 0; start < count; start += window)
        {
            // Stable sort (OrderBy) so equal lengths keep the shuffled order: deterministic.
            var sorted = order.Skip(start).Take(window).OrderByDescending(i => lengths(i)).ToArray();
            batches.AddRange(Chunk(sorted, batchSize));
        }
        if (shuffle) random.Shuffle(batches);
        return batches;
    }

    static List<int[]> Chunk(int[] items, int size)
    {
        var result = new List<int[]>((items.Length + size - 1) / size);
        for (int i = 0; i < items.Length; i += size) result.Add(items[i..Math.Min(items.Length, i + size)]);
        return result;
    }
}
