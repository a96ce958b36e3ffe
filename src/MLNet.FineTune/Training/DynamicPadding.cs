using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>Pads a batch of token-id sequences to the batch's own longest length.</summary>
public static class DynamicPadding
{
    /// <summary>
    /// Returns <c>ids</c> (int64, [batch, longest]) right-padded with <paramref name="padId"/>, and
    /// <c>mask</c> (int64, same shape) with 1 on real tokens and 0 on padding.
    /// </summary>
    public static (Tensor Ids, Tensor Mask) Pad(IReadOnlyList<int[]> sequences, long padId, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("Cannot pad an empty batch.", nameof(sequences));
        int longest = sequences.Max(s => s.Length);
        var ids = new long[sequences.Count * longest];
        var mask = new long[ids.Length];
        Array.Fill(ids, padId);
        for (int row = 0; row < sequences.Count; row++)
        {
            var seq = sequences[row];
            for (int t = 0; t < seq.Length; t++)
            {
                ids[row * longest + t] = seq[t];
                mask[row * longest + t] = 1;
            }
        }
        long[] shape = [sequences.Count, longest];
        return (tensor(ids, shape, device: device), tensor(mask, shape, device: device));
    }
}
