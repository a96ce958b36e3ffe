namespace MLNet.FineTune.Onnx;

/// <summary>
/// Splits a batch's rows into groups of similar token length, so that each ONNX Runtime run pads little. Why: the exported
/// graph takes a plain (batch, length) padded input, and SST-2-like batches hold ~40% real tokens when padded to their
/// longest row; TorchSharp scoring packs instead (Modeling/PaddingFreeBatch), which ONNX cannot express without a 3-D mask.
/// </summary>
internal static class LengthGroups
{
    /// <summary>Padded slots a group may have beyond its real tokens, as a fraction of them, before a new group starts.</summary>
    const double Slack = 0.25;

    /// <summary>Row indices grouped by length (shortest first); one group holding every row when padding is already small.</summary>
    public static List<List<int>> Plan(IReadOnlyList<int> lengths)
    {
        var order = Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i).ToList();
        var groups = new List<List<int>>();
        List<int>? current = null;
        long real = 0; int longest = 0;
        foreach (int i in order)
        {
            // Sorted longest first, so a group's longest row is its first; adding row i costs `longest` slots for lengths[i] tokens.
            if (current is not null && (long)longest * (current.Count + 1) <= (1 + Slack) * (real + lengths[i]))
            {
                current.Add(i); real += lengths[i];
                continue;
            }
            current = new List<int> { i }; groups.Add(current);
            longest = Math.Max(1, lengths[i]); real = lengths[i];
        }
        if (groups.Count > 1 && Padded(lengths, Enumerable.Range(0, lengths.Count).ToList()) <= (1 + Slack) * lengths.Sum()) return [Enumerable.Range(0, lengths.Count).ToList()];
        return groups;
    }

    static long Padded(IReadOnlyList<int> lengths, List<int> rows) => (long)Math.Max(1, rows.Max(i => lengths[i])) * rows.Count;
}
