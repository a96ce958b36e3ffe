namespace MLNet.FineTune.Embeddings;

/// <summary>Two training texts (indices into the examples) and the similarity the body should learn: 1 same class, 0 not.</summary>
internal readonly record struct SentencePair(int First, int Second, float Target);

/// <summary>
/// SetFit's contrastive pair generation, ported from huggingface/setfit. Examples are given by class id only; the pairs
/// are indices into them. Every draw comes from one <see cref="Random"/> seeded by the caller, so a seed gives the same
/// pairs on every machine (SetFit itself seeds numpy: 42 in v1.x's shuffle, the trainer's seed in v0.x).
/// <list type="bullet">
/// <item><see cref="PerIteration"/>: SetFit v0.7.0 <c>modeling.sentence_pairs_generation</c>, called once per
/// <c>num_iterations</c> by the trainer: each example gets one positive partner drawn uniformly from its class (itself
/// included, as numpy's <c>choice</c> over <c>np.where(labels == label)</c> does) and one negative partner drawn
/// uniformly from the other classes. SetFit v1.x's <c>ContrastiveDataset</c> with <c>num_iterations</c> set produces
/// the same counts (n·iterations positives, n·iterations negatives).</item>
/// <item><see cref="Oversampling"/>: SetFit v1.1.3 <c>sampler.ContrastiveDataset</c> (<c>src/setfit/sampler.py</c>,
/// unchanged since commit 223afb6) with <c>num_iterations=None</c> and <c>sampling_strategy="oversampling"</c>, the
/// v1.x default: every unordered pair with replacement (<c>np.triu_indices(n, 0)</c>, self-pairs included) in shuffled
/// order, split into positives and negatives; the smaller side is cycled until both have as many as the larger, then
/// they alternate positive, negative.</item>
/// </list>
/// </summary>
internal static class SetFitPairs
{
    /// <summary>SetFit v0.x <c>num_iterations</c>: per iteration, per example (in order) one positive then one negative pair.</summary>
    public static List<SentencePair> PerIteration(IReadOnlyList<int> classes, int iterations, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var members = Members(classes);
        var others = members.ToDictionary(m => m.Key, m => Enumerable.Range(0, classes.Count).Where(i => classes[i] != m.Key).ToArray());
        var random = new Random(seed);
        var pairs = new List<SentencePair>(2 * iterations * classes.Count);
        for (int it = 0; it < iterations; it++)
            for (int i = 0; i < classes.Count; i++)
            {
                var same = members[classes[i]];
                pairs.Add(new SentencePair(i, same[random.Next(same.Length)], 1f));
                var different = others[classes[i]];
                pairs.Add(new SentencePair(i, different[random.Next(different.Length)], 0f));
            }
        return pairs;
    }

    /// <summary>SetFit v1.x's default: all pairs with replacement, the rarer kind oversampled to balance (see the class summary).</summary>
    public static List<SentencePair> Oversampling(IReadOnlyList<int> classes, int seed)
    {
        Members(classes);
        int n = classes.Count;
        var all = new List<(int, int)>(n * (n + 1) / 2);
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) all.Add((i, j));
        var order = Enumerable.Range(0, all.Count).ToArray();
        new Random(seed).Shuffle(order);
        var positives = new List<SentencePair>();
        var negatives = new List<SentencePair>();
        foreach (var k in order)
        {
            var (i, j) = all[k];
            if (classes[i] == classes[j]) positives.Add(new SentencePair(i, j, 1f));
            else negatives.Add(new SentencePair(i, j, 0f));
        }
        int each = Math.Max(positives.Count, negatives.Count);
        var pairs = new List<SentencePair>(2 * each);
        for (int k = 0; k < each; k++)
        {
            pairs.Add(positives[k % positives.Count]);
            pairs.Add(negatives[k % negatives.Count]);
        }
        return pairs;
    }

    /// <summary>Each class's example indices; negatives need a second class.</summary>
    static Dictionary<int, int[]> Members(IReadOnlyList<int> classes)
    {
        var members = Enumerable.Range(0, classes.Count).GroupBy(i => classes[i]).ToDictionary(g => g.Key, g => g.ToArray());
        if (members.Count < 2)
            throw new InvalidOperationException($"SetFit needs examples of at least 2 classes to make negative pairs; the training data has {members.Count} class(es) in {classes.Count} row(s).");
        return members;
    }
}
