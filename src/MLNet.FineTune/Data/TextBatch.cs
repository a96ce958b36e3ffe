using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Data;

/// <summary>One tokenized training row: its encoding and, per head, its targets (NaN: this row has no label for that head).</summary>
internal sealed record TextExample(EncodedInput Encoding, float[][] Targets)
{
    /// <summary>
    /// The heads this row is labelled for, as a bit mask (bit h: head h), which is the row's task group for
    /// <see cref="Training.TaskSampling"/>. Sequence-level heads mark a missing label with NaN, token-level heads with -100 on every token.
    /// </summary>
    /// <param name="tokenLevel">Per head: whether its targets are per token.</param>
    public int LabelledHeads(IReadOnlyList<bool> tokenLevel)
    {
        int mask = 0;
        for (int h = 0; h < Targets.Length; h++)
            if (IsLabelled(h, tokenLevel[h])) mask |= 1 << h;
        return mask;
    }

    /// <summary>Whether this row carries a label for head <paramref name="head"/> (a number, or at least one tag that is not -100).</summary>
    public bool IsLabelled(int head, bool tokenLevel) =>
        tokenLevel ? Targets[head].Any(t => t != -100f) : Targets[head].Length > 0 && !float.IsNaN(Targets[head][0]);

    /// <summary>
    /// sha256 (hex) of the rows as the model is fed them: per row, its token ids, token type ids, attention mask and
    /// every head's targets, in order. Checkpoints record it so a run resumed on other data of the same size is refused.
    /// </summary>
    public static string Fingerprint(IReadOnlyList<TextExample> examples)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var length = new byte[4];
        void Append<T>(T[] values) where T : struct
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, values.Length);
            sha.AppendData(length);
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
        foreach (var e in examples)
        {
            Append(e.Encoding.InputIds);
            Append(e.Encoding.TokenTypeIds);
            Append(e.Encoding.AttentionMask);
            foreach (var t in e.Targets) Append(t);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

/// <summary>A padded batch: ids/mask/type ids (B, T) and, per head, targets (B) or (B, T).</summary>
internal sealed record TextBatch(Tensor InputIds, Tensor AttentionMask, Tensor TokenTypeIds, IReadOnlyList<Tensor> Targets, int Count);

/// <summary>Pads examples to the longest in their batch (dynamic padding) and stacks their targets.</summary>
internal static class TextBatchCollator
{
    /// <param name="encodings">the batch's tokenized rows, unpadded</param>
    /// <param name="targets">per row, per head: the label(s); null when scoring</param>
    /// <param name="padId">the tokenizer's padding id</param>
    /// <param name="tokenLevel">per head: targets are per token (padded with -100) rather than one per row</param>
    /// <param name="device">where the tensors go (default CPU)</param>
    public static TextBatch Collate(IReadOnlyList<EncodedInput> encodings, IReadOnlyList<float[][]>? targets, int padId, IReadOnlyList<bool> tokenLevel, Device? device = null)
    {
        int b = encodings.Count, t = Math.Max(1, encodings.Max(e => e.Length));
        var ids = new long[b * t];
        var mask = new long[b * t];
        var types = new long[b * t];
        for (int r = 0; r < b; r++)
        {
            var e = encodings[r];
            for (int j = 0; j < t; j++)
            {
                bool real = j < e.Length;
                ids[r * t + j] = real ? e.InputIds[j] : padId;
                mask[r * t + j] = real ? e.AttentionMask[j] : 0;
                types[r * t + j] = real ? e.TokenTypeIds[j] : 0;
            }
        }
        var shape = new long[] { b, t };
        var headTargets = new List<Tensor>();
        for (int h = 0; targets != null && h < tokenLevel.Count; h++)
        {
            if (!tokenLevel[h])
                headTargets.Add(tensor(targets.Select(x => x[h][0]).ToArray(), device: device));
            else
            {
                var flat = new float[b * t];
                Array.Fill(flat, -100f);
                for (int r = 0; r < b; r++) Array.Copy(targets[r][h], 0, flat, r * t, Math.Min(t, targets[r][h].Length));
                headTargets.Add(tensor(flat, shape, device: device));
            }
        }
        return new TextBatch(tensor(ids, shape, device: device), tensor(mask, shape, device: device), tensor(types, shape, device: device), headTargets, b);
    }
}
