namespace MLNet.FineTune.Training;

/// <summary>
/// Decides which examples form each batch of an epoch. The plan depends only on (count, batch size, seed, epoch,
/// options, lengths, task groups), so a resumed run sees exactly the batches of an uninterrupted one.
/// </summary>
internal static class BatchPlanner
{
    /// <summary>Examples per length-sorting window, in batches (HF's LengthGroupedSampler uses 50).</summary>
    public const int MegabatchMultiplier = 50;

    /// <summary>Plans one epoch with rows of all tasks mixed (<see cref="TaskSampling.Mixed"/>); the last batch may be smaller.</summary>
    /// <param name="count">Number of examples.</param>
    /// <param name="batchSize">Examples per batch.</param>
    /// <param name="seed">Run seed.</param>
    /// <param name="epoch">Zero-based epoch (a new shuffle each epoch).</param>
    /// <param name="shuffle">False keeps the examples in order.</param>
    /// <param name="lengths">When given, batches are length-grouped: the shuffled examples are cut into windows
    /// of <see cref="MegabatchMultiplier"/> batches, each window is sorted by length (longest first) and cut into
    /// batches, and the batch order is shuffled again so long batches do not all come first.</param>
    public static IReadOnlyList<int[]> Plan(int count, int batchSize, int seed, int epoch, bool shuffle, Func<int, int>? lengths = null) =>
        Plan(count, batchSize, seed, epoch, shuffle, lengths, TaskSampling.Mixed, null);

    /// <summary>
    /// Plans one epoch under a <see cref="TaskSampling"/> mode. With <see cref="TaskSampling.Proportional"/> and
    /// <see cref="TaskSampling.RoundRobin"/> each task group is shuffled and (optionally) length-grouped on its own, so
    /// every batch holds one group's rows; the groups' batches are then interleaved as the mode says. A single group
    /// gives the same plan in every mode.
    /// </summary>
    /// <param name="count">Number of examples.</param>
    /// <param name="batchSize">Examples per batch.</param>
    /// <param name="seed">Run seed.</param>
    /// <param name="epoch">Zero-based epoch (a new shuffle each epoch).</param>
    /// <param name="shuffle">False keeps the examples in order (and interleaves Proportional batches evenly).</param>
    /// <param name="lengths">When given, batches are length-grouped (within each task group), as in the Mixed overload.</param>
    /// <param name="sampling">How tasks share the epoch.</param>
    /// <param name="taskGroup">Task group of an example (e.g. a bit mask of the heads it is labelled for); null: one group.</param>
    public static IReadOnlyList<int[]> Plan(int count, int batchSize, int seed, int epoch, bool shuffle, Func<int, int>? lengths,
        TaskSampling sampling, Func<int, int>? taskGroup)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Example count must be >= 0.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be >= 1.");
        var random = DeterministicRandom.ForEpoch(seed, epoch);
        if (sampling == TaskSampling.Mixed) return PlanGroup(Enumerable.Range(0, count).ToArray(), batchSize, random, shuffle, lengths);

        var groups = Groups(count, taskGroup);
        // One pass over each group first (fixed order of random draws: group by group), restarts later if needed.
        var passes = groups.Select(g => PlanGroup(g, batchSize, random, shuffle, lengths)).ToList();
        if (groups.Count <= 1) return passes.Count == 0 ? [] : passes[0];
        return sampling switch
        {
            TaskSampling.Proportional => shuffle ? ShuffledTogether(passes, random) : EvenlyInterleaved(passes),
            TaskSampling.RoundRobin => TakingTurns(groups, passes, batchSize, random, shuffle, lengths),
            _ => throw new ArgumentOutOfRangeException(nameof(sampling), sampling, "Unknown task sampling mode."),
        };
    }

    /// <summary>Batches in one epoch's plan (what <see cref="Plan(int, int, int, int, bool, Func{int, int}?, TaskSampling, Func{int, int}?)"/> returns), without planning.</summary>
    public static int BatchesPerEpoch(int count, int batchSize, TaskSampling sampling, Func<int, int>? taskGroup)
    {
        if (sampling == TaskSampling.Mixed) return Batches(count, batchSize);
        var perGroup = Groups(count, taskGroup).Select(g => Batches(g.Length, batchSize)).ToList();
        if (perGroup.Count == 0) return 0;
        return sampling == TaskSampling.RoundRobin ? perGroup.Count * perGroup.Max() : perGroup.Sum();
    }

    /// <summary>Examples by task group, groups in ascending id order, examples in index order.</summary>
    public static IReadOnlyList<int[]> Groups(int count, Func<int, int>? taskGroup) => taskGroup is null
        ? (count == 0 ? [] : [Enumerable.Range(0, count).ToArray()])
        : Enumerable.Range(0, count).GroupBy(taskGroup).OrderBy(g => g.Key).Select(g => g.ToArray()).ToList();

    static int Batches(int count, int batchSize) => (count + batchSize - 1) / batchSize;

    /// <summary>Shuffles, length-groups and cuts one group's examples into batches (the whole epoch in Mixed mode).</summary>
    static List<int[]> PlanGroup(int[] members, int batchSize, DeterministicRandom random, bool shuffle, Func<int, int>? lengths)
    {
        var order = members.ToArray();
        if (shuffle) random.Shuffle(order);
        if (lengths is null) return Chunk(order, batchSize);

        var batches = new List<int[]>();
        int window = batchSize * MegabatchMultiplier;
        for (int start = 0; start < order.Length; start += window)
        {
            // Stable sort (OrderBy) so equal lengths keep the shuffled order: deterministic.
            var sorted = order.Skip(start).Take(window).OrderByDescending(i => lengths(i)).ToArray();
            batches.AddRange(Chunk(sorted, batchSize));
        }
        if (shuffle) random.Shuffle(batches);
        return batches;
    }

    static List<int[]> ShuffledTogether(List<List<int[]>> passes, DeterministicRandom random)
    {
        var all = passes.SelectMany(p => p).ToList();
        random.Shuffle(all);
        return all;
    }

    // Without shuffling: batch k of a group with n batches sits at (k + 0.5) / n of the epoch, so groups stay proportional throughout.
    static List<int[]> EvenlyInterleaved(List<List<int[]>> passes) =>
        passes.SelectMany((p, g) => p.Select((batch, k) => (Key: (k + 0.5) / p.Count, Group: g, Batch: batch)))
            .OrderBy(x => x.Key).ThenBy(x => x.Group).Select(x => x.Batch).ToList();

    // Rounds of one batch per group; the epoch ends after the largest group's last batch. Smaller groups start a new pass
    // (a fresh shuffle from the same generator) when they run out.
    static List<int[]> TakingTurns(IReadOnlyList<int[]> groups, List<List<int[]>> passes, int batchSize, DeterministicRandom random,
        bool shuffle, Func<int, int>? lengths)
    {
        int rounds = passes.Max(p => p.Count);
        var position = new int[groups.Count];
        var result = new List<int[]>(rounds * groups.Count);
        for (int round = 0; round < rounds; round++)
            for (int g = 0; g < groups.Count; g++)
            {
                if (position[g] == passes[g].Count) { passes[g] = PlanGroup(groups[g], batchSize, random, shuffle, lengths); position[g] = 0; }
                result.Add(passes[g][position[g]++]);
            }
        return result;
    }

    static List<int[]> Chunk(int[] items, int size)
    {
        var result = new List<int[]>((items.Length + size - 1) / size);
        for (int i = 0; i < items.Length; i += size) result.Add(items[i..Math.Min(items.Length, i + size)]);
        return result;
    }
}
