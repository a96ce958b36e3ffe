using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>One tokenized causal-LM training sequence: ids and labels (<see cref="Losses.IgnoreIndex"/> where not trained), the same length.</summary>
internal sealed record CausalLmSequence(int[] InputIds, int[] Labels)
{
    public int Length => InputIds.Length;
}

/// <summary>Builds <see cref="CausalLmBatch"/>es from <see cref="CausalLmSequence"/>s.</summary>
internal static class CausalLmCollator
{
    /// <summary>
    /// Right-pads to the longest sequence with <paramref name="padId"/> (attention 0, label −100), as transformers'
    /// training forward expects (default position ids).
    /// </summary>
    public static CausalLmBatch RightPadded(IReadOnlyList<CausalLmSequence> sequences, int padId)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("A batch needs at least one sequence.", nameof(sequences));
        int rows = sequences.Count, width = sequences.Max(s => s.Length);
        var ids = new long[rows * width];
        var mask = new long[rows * width];
        var labels = new long[rows * width];
        for (int r = 0; r < rows; r++)
        {
            var s = sequences[r];
            if (s.Labels.Length != s.InputIds.Length)
                throw new ArgumentException($"Sequence {r} has {s.InputIds.Length} ids but {s.Labels.Length} labels.", nameof(sequences));
            for (int t = 0; t < width; t++)
            {
                int i = r * width + t;
                bool real = t < s.Length;
                ids[i] = real ? s.InputIds[t] : padId;
                mask[i] = real ? 1 : 0;
                labels[i] = real ? s.Labels[t] : Losses.IgnoreIndex;
            }
        }
        long[] shape = [rows, width];
        return new CausalLmBatch(tensor(ids, shape), tensor(mask, shape), tensor(labels, shape));
    }

    /// <summary>
    /// Rows that each pack several sequences (<see cref="CausalLmPacking"/>), right-padded to the longest row; padding
    /// has attention 0, label −100, position 0 and sequence id −1.
    /// </summary>
    public static CausalLmBatch Packed(IReadOnlyList<IReadOnlyList<CausalLmSequence>> rows, int padId)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new ArgumentException("A batch needs at least one row.", nameof(rows));
        var packed = rows.Select(CausalLmPacking.Concatenate).ToList();
        int width = packed.Max(r => r.Ids.Length);
        var ids = new long[rows.Count * width];
        var mask = new long[rows.Count * width];
        var labels = new long[rows.Count * width];
        var positions = new long[rows.Count * width];
        var sequenceIds = new long[rows.Count * width];
        for (int r = 0; r < packed.Count; r++)
        {
            var row = packed[r];
            for (int t = 0; t < width; t++)
            {
                int i = r * width + t;
                bool real = t < row.Ids.Length;
                ids[i] = real ? row.Ids[t] : padId;
                mask[i] = real ? 1 : 0;
                labels[i] = real ? row.Labels[t] : Losses.IgnoreIndex;
                positions[i] = real ? row.Positions[t] : 0;
                sequenceIds[i] = real ? row.SequenceIds[t] : -1;
            }
        }
        long[] shape = [rows.Count, width];
        return new CausalLmBatch(tensor(ids, shape), tensor(mask, shape), tensor(labels, shape), tensor(positions, shape), tensor(sequenceIds, shape));
    }
}
