using MLNet.FineTune.Data;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Embeddings;

/// <summary>One tokenized training pair: its two texts' encodings and its target (score or 0/1 label; NaN for MNRL).</summary>
internal sealed record ContrastivePair(EncodedInput First, EncodedInput Second, float Target);

/// <summary>A batch of pairs: each side padded on its own (as sentence-transformers encodes each column), targets (B) or null.</summary>
internal sealed record ContrastiveBatch(TextBatch First, TextBatch Second, Tensor? Targets)
{
    public int Count => First.Count;
}

/// <summary>
/// The training pairs as an <see cref="IBatchSource{TBatch}"/>. With <c>noDuplicateTexts</c> (in-batch negatives) the
/// source plans its own epochs with <see cref="NoDuplicatesBatchPlanner"/> over the raw texts of both sides.
/// </summary>
internal sealed class ContrastiveBatchSource : IBatchSource<ContrastiveBatch>
{
    readonly IReadOnlyList<ContrastivePair> pairs;
    readonly IReadOnlyList<string>? first, second;
    readonly int padId;
    readonly bool hasTargets;

    /// <param name="pairs">The tokenized pairs.</param>
    /// <param name="padId">The tokenizer's padding id.</param>
    /// <param name="hasTargets">Whether the loss reads the pairs' targets.</param>
    /// <param name="texts">The raw (first, second) texts: given, no batch holds the same text twice; null: BatchPlanner plans.</param>
    public ContrastiveBatchSource(IReadOnlyList<ContrastivePair> pairs, int padId, bool hasTargets, (IReadOnlyList<string> First, IReadOnlyList<string> Second)? texts)
    {
        this.pairs = pairs; this.padId = padId; this.hasTargets = hasTargets;
        (first, second) = texts is { } t ? (t.First, t.Second) : (null, null);
        Fingerprint = TextExample.Fingerprint(pairs.SelectMany(p => new[] { new TextExample(p.First, [[p.Target]]), new TextExample(p.Second, []) }).ToList());
    }

    public int Count => pairs.Count;
    public int GetLength(int index) => Math.Max(pairs[index].First.Length, pairs[index].Second.Length);
    public string? Fingerprint { get; }

    public IReadOnlyList<int[]>? PlanEpoch(int batchSize, int seed, int epoch, bool shuffle) => first is null ? null
        : NoDuplicatesBatchPlanner.Plan(pairs.Count, batchSize, seed, epoch, shuffle, i => [first[i], second![i]]);

    public ContrastiveBatch CreateBatch(IReadOnlyList<int> indices) => Collate(indices.Select(i => pairs[i]).ToArray(), padId, hasTargets);

    public static ContrastiveBatch Collate(IReadOnlyList<ContrastivePair> rows, int padId, bool hasTargets) => new(
        TextBatchCollator.Collate(rows.Select(r => r.First).ToArray(), null, padId, []),
        TextBatchCollator.Collate(rows.Select(r => r.Second).ToArray(), null, padId, []),
        hasTargets ? tensor(rows.Select(r => r.Target).ToArray()) : null);
}
