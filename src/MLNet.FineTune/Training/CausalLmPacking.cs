namespace MLNet.FineTune.Training;

/// <summary>
/// Packs short causal-LM sequences into rows of at most a given length, so that a batch holds few padding tokens.
/// Examples never see each other: a packed row carries sequence ids (block-diagonal causal attention) and position ids
/// restarting at 0 per example, and the first token of each example gets label −100 so that the previous example's
/// last token is not trained to predict it. Each example's logits and loss terms are therefore those it has alone
/// (HF's DataCollatorWithFlattening / TRL's padding-free packing, without flash-attention).
/// </summary>
internal static class CausalLmPacking
{
    /// <summary>
    /// Groups sequence indices into rows of total length ≤ <paramref name="rowLength"/>: first-fit decreasing (longest
    /// sequence first, ties by index; each into the first row with room), deterministic. Each row lists its sequences
    /// in index order.
    /// </summary>
    /// <exception cref="ArgumentException">A sequence is longer than <paramref name="rowLength"/>.</exception>
    public static IReadOnlyList<int[]> Plan(IReadOnlyList<int> lengths, int rowLength)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowLength);
        var rows = new List<List<int>>();
        var free = new List<int>();
        foreach (int i in Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i))
        {
            if (lengths[i] > rowLength)
                throw new ArgumentException($"Sequence {i} has {lengths[i]} tokens, more than the packed row length {rowLength}; raise the row length to at least the maximum sequence length.", nameof(lengths));
            int row = free.FindIndex(f => f >= lengths[i]);
            if (row < 0) { rows.Add([]); free.Add(rowLength); row = rows.Count - 1; }
            rows[row].Add(i);
            free[row] -= lengths[i];
        }
        return [.. rows.Select(r => r.Order().ToArray())];
    }

    /// <summary>One packed row: the sequences concatenated, with position ids and sequence ids per token.</summary>
    public static (int[] Ids, int[] Labels, int[] Positions, int[] SequenceIds) Concatenate(IReadOnlyList<CausalLmSequence> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        int length = sequences.Sum(s => s.Length);
        var ids = new int[length];
        var labels = new int[length];
        var positions = new int[length];
        var sequenceIds = new int[length];
        int at = 0;
        for (int k = 0; k < sequences.Count; k++)
        {
            var s = sequences[k];
            for (int t = 0; t < s.Length; t++, at++)
            {
                ids[at] = s.InputIds[t];
                labels[at] = t == 0 ? (int)Losses.IgnoreIndex : s.Labels[t];
                positions[at] = t;
                sequenceIds[at] = k;
            }
        }
        return (ids, labels, positions, sequenceIds);
    }
}
