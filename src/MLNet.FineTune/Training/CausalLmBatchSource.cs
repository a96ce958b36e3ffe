using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace MLNet.FineTune.Training;

/// <summary>
/// Causal-LM training data for <see cref="Trainer{TBatch}"/>: tokenized sequences, right-padded per batch (dynamic
/// padding), or — with <c>packToLength</c> — first packed into rows of at most that many tokens
/// (<see cref="CausalLmPacking"/>), a row then being one item of the source. Shuffling, length grouping, accumulation
/// and resume are the trainer's (the item order is a function of the seed and epoch only), and
/// <see cref="Fingerprint"/> hashes the sequences and the packing so that a resume on other data is refused.
/// </summary>
internal sealed class CausalLmBatchSource : IBatchSource<CausalLmBatch>
{
    readonly IReadOnlyList<CausalLmSequence> sequences;
    readonly IReadOnlyList<int[]> rows;
    readonly int padId;
    readonly bool packed;

    /// <param name="sequences">The training sequences (ids and labels, e.g. encoded generative examples).</param>
    /// <param name="padId">The padding token id (labels of padding are −100, so any valid id works; HF uses EOS for GPT-2).</param>
    /// <param name="packToLength">Pack sequences into rows of at most this many tokens; null (default) = one sequence per row.</param>
    public CausalLmBatchSource(IReadOnlyList<CausalLmSequence> sequences, int padId, int? packToLength = null)
    {
        this.sequences = sequences ?? throw new ArgumentNullException(nameof(sequences));
        if (sequences.Count == 0) throw new ArgumentException("There are no training sequences.", nameof(sequences));
        for (int i = 0; i < sequences.Count; i++)
            if (sequences[i].Length == 0 || sequences[i].Labels.Length != sequences[i].Length)
                throw new ArgumentException($"Sequence {i} has {sequences[i].Length} ids and {sequences[i].Labels.Length} labels; each needs at least one id and one label per id.", nameof(sequences));
        this.padId = padId;
        packed = packToLength is not null;
        rows = packed ? CausalLmPacking.Plan([.. sequences.Select(s => s.Length)], packToLength!.Value) : [.. Enumerable.Range(0, sequences.Count).Select(i => new[] { i })];
        Fingerprint = ComputeFingerprint();
    }

    /// <summary>Number of items: packed rows, or sequences when not packing.</summary>
    public int Count => rows.Count;

    /// <summary>How the sequences were grouped into rows (each row's sequence indices).</summary>
    public IReadOnlyList<int[]> Rows => rows;

    public string? Fingerprint { get; }

    public int GetLength(int index) => rows[index].Sum(i => sequences[i].Length);

    public CausalLmBatch CreateBatch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (!packed) return CausalLmCollator.RightPadded([.. indices.Select(i => sequences[rows[i][0]])], padId);
        return CausalLmCollator.Packed([.. indices.Select(i => (IReadOnlyList<CausalLmSequence>)[.. rows[i].Select(k => sequences[k])])], padId);
    }

    string ComputeFingerprint()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var length = new byte[4];
        void Append(int[] values)
        {
            BinaryPrimitives.WriteInt32LittleEndian(length, values.Length);
            sha.AppendData(length);
            sha.AppendData(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        foreach (var s in sequences) { Append(s.InputIds); Append(s.Labels); }
        Append([packed ? 1 : 0, padId]);
        foreach (var row in rows) Append(row);
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
