namespace MLNet.FineTune.Training;

/// <summary>
/// sentence-transformers' NoDuplicatesBatchSampler: a batch never holds the same text twice. With in-batch negatives
/// (MultipleNegativesRankingLoss) a repeated text would be its own negative: a false negative the loss pushes away.
/// Each batch is filled greedily from the epoch's shuffled order, skipping an example that shares a text with the batch
/// (it waits for a later batch); when the rest cannot fill a batch, it is yielded short. So every example appears exactly
/// once per epoch, batches may be fewer than <c>batchSize</c> long, and an epoch may have more than ceil(count / batchSize)
/// batches. The plan depends only on its arguments (<see cref="DeterministicRandom"/>), so a resumed run re-plans it exactly.
/// </summary>
internal static class NoDuplicatesBatchPlanner
{
    /// <param name="count">Number of examples.</param>
    /// <param name="batchSize">Examples per batch at most.</param>
    /// <param name="seed">Run seed.</param>
    /// <param name="epoch">Zero-based epoch (a new shuffle each epoch).</param>
    /// <param name="shuffle">False keeps the examples' order.</param>
    /// <param name="texts">The texts of an example (e.g. anchor and positive); two examples sharing one never share a batch.</param>
    public static IReadOnlyList<int[]> Plan(int count, int batchSize, int seed, int epoch, bool shuffle, Func<int, IEnumerable<string>> texts)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Example count must be >= 0.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be >= 1.");
        ArgumentNullException.ThrowIfNull(texts);
        var order = Enumerable.Range(0, count).ToArray();
        if (shuffle) DeterministicRandom.ForEpoch(seed, epoch).Shuffle(order);
        // A linked list: taking an example is O(1) and a scan skips only the waiting ones, so an epoch is ~O(count) when duplicates are rare.
        var remaining = new LinkedList<int>(order);
        var batches = new List<int[]>((count + batchSize - 1) / batchSize);
        var inBatch = new HashSet<string>(StringComparer.Ordinal);
        var batch = new List<int>(batchSize);
        while (remaining.Count > 0)
        {
            inBatch.Clear();
            batch.Clear();
            for (var node = remaining.First; node is not null && batch.Count < batchSize;)
            {
                var next = node.Next;
                var own = texts(node.Value).ToArray();
                if (!own.Any(inBatch.Contains))
                {
                    batch.Add(node.Value);
                    inBatch.UnionWith(own);
                    remaining.Remove(node);
                }
                node = next;
            }
            batches.Add(batch.ToArray());
        }
        return batches;
    }
}
