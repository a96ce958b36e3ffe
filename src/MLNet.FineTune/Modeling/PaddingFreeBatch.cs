using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// Packs a right-padded batch's real tokens into fewer rows for the transformer layers, with block-diagonal attention so
/// that no token sees another example's tokens, then puts the layers' output back in the padded layout.
/// <para>
/// Why: short texts in a batch padded to its longest row waste most of the compute. On SST-2 at batch 16 a batch holds ~210
/// real tokens in ~565 slots, so 63% of every matrix product in the layers was spent on padding. Packing the examples
/// first-fit-decreasing into rows as long as the batch's longest example keeps the attention cost at or below the padded one
/// (rows × T² ≤ B × T²) and cuts the linear layers' work to the packed slots.
/// </para>
/// <para>
/// Exactness: each token's arithmetic is the same as in the padded batch (embeddings, and so positions, are computed in the
/// padded layout before packing; a masked key gets weight exp(−3.4e38) = 0 exactly in both layouts); only the order of
/// floating-point accumulation inside the matrix products can change, at the 1e-7 level. Padding positions come back as
/// zeros (the padded layout filled them with values nothing reads: heads pool with the mask, token heads ignore them).
/// </para>
/// </summary>
internal sealed class PaddingFreeBatch
{
    /// <summary>Packing is used only when it removes at least this fraction of the token slots.</summary>
    const double MinimumSaving = 0.15;

    readonly Tensor gather;   // (R·T) slot → flat padded index (pad slots read index 0; they are masked)
    readonly Tensor scatter;  // (B·T) flat padded index → slot (0 for padding, then zeroed by keep)
    readonly Tensor keep;     // (B·T, 1) 1 for real tokens, 0 for padding
    readonly long batch, length, rows;

    PaddingFreeBatch(Tensor gather, Tensor scatter, Tensor keep, Tensor mask, long batch, long length, long rows)
    {
        this.gather = gather; this.scatter = scatter; this.keep = keep; AdditiveMask = mask;
        this.batch = batch; this.length = length; this.rows = rows;
    }

    /// <summary>The block-diagonal additive attention mask of the packed rows, (R, 1, T, T): 0 within an example, float.MinValue elsewhere.</summary>
    public Tensor AdditiveMask { get; }

    /// <summary>
    /// Plans the packing of a (B, T) attention mask, or returns null when the mask is not right padding (a row that is not
    /// ones then zeros) or packing would save less than <see cref="MinimumSaving"/> of the slots. The tensors it makes belong to
    /// the caller's dispose scope.
    /// </summary>
    public static PaddingFreeBatch? Plan(Tensor attentionMask, ScalarType dtype)
    {
        if (attentionMask.dim() != 2 || attentionMask.device_type != DeviceType.CPU) return null;
        long b = attentionMask.size(0), t = attentionMask.size(1);
        long[] mask = TensorMemory.ToInt64Array(attentionMask);
        var lengths = new int[b];
        for (int r = 0; r < b; r++)
        {
            int n = 0;
            while (n < t && mask[r * t + n] != 0) n++;
            for (long j = n; j < t; j++) if (mask[r * t + j] != 0) return null; // not right padding
            lengths[r] = n;
        }
        int longest = lengths.Max();
        if (longest == 0) return null;

        // First-fit decreasing into rows of the longest example's length.
        var order = Enumerable.Range(0, (int)b).OrderByDescending(r => lengths[r]).ThenBy(r => r).ToArray();
        var rowFill = new List<int>();
        var placement = new (int Row, int Offset)[b];
        foreach (int r in order)
        {
            int row = rowFill.FindIndex(f => f + lengths[r] <= longest);
            if (row < 0) { row = rowFill.Count; rowFill.Add(0); }
            placement[r] = (row, rowFill[row]);
            rowFill[row] += lengths[r];
        }
        long rows = rowFill.Count;
        if (rows * longest > (1 - MinimumSaving) * b * longest) return null;

        var gather = new long[rows * longest];
        var segment = new long[rows * longest];
        Array.Fill(segment, -1);
        var scatter = new long[b * t];
        for (int r = 0; r < b; r++)
        {
            var (row, offset) = placement[r];
            for (int p = 0; p < lengths[r]; p++)
            {
                long slot = row * longest + offset + p;
                gather[slot] = r * t + p;
                segment[slot] = r;
                scatter[r * t + p] = slot;
            }
        }
        using var scope = NewDisposeScope();
        var seg = TensorMemory.FromInt64(segment, rows, longest);
        var allowed = seg.unsqueeze(2).eq(seg.unsqueeze(1)).logical_and_(seg.unsqueeze(1).ge(ScalarFree.Zero));
        using var minValue = float.MinValue.ToScalar();
        var additive = allowed.logical_not().to(dtype).mul_(minValue).unsqueeze(1); // (R, 1, T, T): 0 or float.MinValue
        var keep = TensorMemory.FromInt64(mask, b * t, 1).to(dtype);
        return new PaddingFreeBatch(TensorMemory.FromInt64(gather, rows * longest).MoveToOuterDisposeScope(),
            TensorMemory.FromInt64(scatter, b * t).MoveToOuterDisposeScope(), keep.MoveToOuterDisposeScope(), additive.MoveToOuterDisposeScope(), b, t, rows);
    }

    /// <summary>(B, T, H) in the padded layout → (R, T', H) packed rows.</summary>
    public Tensor Pack(Tensor x)
    {
        long h = x.size(2);
        return x.reshape(batch * length, h).index_select(0, gather).view(rows, -1, h);
    }

    /// <summary>(R, T', H) packed rows → (B, T, H) in the padded layout, zeros at padding.</summary>
    public Tensor Unpack(Tensor y)
    {
        using var scope = NewDisposeScope();
        long h = y.size(2);
        return y.reshape(-1, h).index_select(0, scatter).mul(keep).view(batch, length, h).MoveToOuterDisposeScope();
    }
}
