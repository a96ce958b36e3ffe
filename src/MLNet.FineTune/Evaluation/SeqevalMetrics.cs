using MLNet.FineTune.Heads.TokenTagging;

namespace MLNet.FineTune.Evaluation;

/// <summary>
/// Entity-level precision, recall and F1 with exactly seqeval's semantics (<c>seqeval.metrics</c>): an entity
/// counts as correct only when its type, sentence, start and end all match. Default mode uses conlleval's lenient
/// chunking (<see cref="TagChunker"/>); strict mode uses the declared scheme's token rules.
/// </summary>
public static class SeqevalMetrics
{
    /// <summary>Per-type scores, micro/macro/weighted averages and token accuracy (seqeval's <c>classification_report</c>).</summary>
    /// <param name="trueTags">Gold tags, one sequence per sentence.</param>
    /// <param name="predictedTags">Predicted tags, same shape as <paramref name="trueTags"/>.</param>
    /// <param name="options">Mode, scheme and zero-division value; null for seqeval's defaults.</param>
    /// <exception cref="ArgumentException">Shapes differ, strict mode lacks a scheme, or a tag is invalid.</exception>
    public static SeqevalReport Evaluate(IReadOnlyList<IReadOnlyList<string>> trueTags,
        IReadOnlyList<IReadOnlyList<string>> predictedTags, SeqevalOptions? options = null)
    {
        options ??= new SeqevalOptions();
        CheckConsistentLength(trueTags, predictedTags);
        var gold = EntitiesByType(trueTags, options);
        var predicted = EntitiesByType(predictedTags, options);
        var types = gold.Keys.Union(predicted.Keys).Order(StringComparer.Ordinal).ToList();

        var perType = new List<EntityTypeScore>(types.Count);
        foreach (var type in types)
        {
            var g = gold.GetValueOrDefault(type) ?? [];
            var p = predicted.GetValueOrDefault(type) ?? [];
            int correct = g.Count(p.Contains);
            var (precision, recall, f1) = Scores(correct, p.Count, g.Count, options.ZeroDivision);
            perType.Add(new EntityTypeScore(type, precision, recall, f1, g.Count, p.Count, correct));
        }
        return new SeqevalReport(perType, Micro(perType, options.ZeroDivision), Macro(perType),
            Weighted(perType, options.ZeroDivision), Accuracy(trueTags, predictedTags));
    }

    /// <summary>Micro-averaged entity F1 (seqeval's <c>f1_score</c> with its defaults).</summary>
    public static double F1(IReadOnlyList<IReadOnlyList<string>> trueTags, IReadOnlyList<IReadOnlyList<string>> predictedTags,
        SeqevalOptions? options = null) => Evaluate(trueTags, predictedTags, options).Micro.F1;

    /// <summary>Fraction of tokens, over all sentences, whose predicted tag equals the gold tag (seqeval's <c>accuracy_score</c>).</summary>
    public static double Accuracy(IReadOnlyList<IReadOnlyList<string>> trueTags, IReadOnlyList<IReadOnlyList<string>> predictedTags)
    {
        CheckConsistentLength(trueTags, predictedTags);
        long correct = 0, total = 0;
        for (int s = 0; s < trueTags.Count; s++)
            for (int i = 0; i < trueTags[s].Count; i++, total++)
                if (trueTags[s][i] == predictedTags[s][i]) correct++;
        // Python divides 0 by 0 here and raises; NaN says "undefined" without throwing.
        return total == 0 ? double.NaN : (double)correct / total;
    }

    static void CheckConsistentLength(IReadOnlyList<IReadOnlyList<string>> trueTags, IReadOnlyList<IReadOnlyList<string>> predictedTags)
    {
        if (trueTags.Count != predictedTags.Count)
            throw new ArgumentException($"Got {trueTags.Count} true sentences but {predictedTags.Count} predicted sentences.");
        for (int s = 0; s < trueTags.Count; s++)
            if (trueTags[s].Count != predictedTags[s].Count)
                throw new ArgumentException($"Sentence {s} has {trueTags[s].Count} true tags but {predictedTags[s].Count} predicted tags.");
    }

    // Entity identities per type. Default mode runs the chunker over all sentences joined by an "O" between them,
    // exactly as seqeval flattens nested lists, so positions are global offsets; strict mode keys by sentence.
    static Dictionary<string, HashSet<(int Sentence, int Start, int End)>> EntitiesByType(
        IReadOnlyList<IReadOnlyList<string>> sentences, SeqevalOptions options)
    {
        var byType = new Dictionary<string, HashSet<(int, int, int)>>(StringComparer.Ordinal);
        void Add(string type, (int, int, int) key)
        {
            if (!byType.TryGetValue(type, out var set)) byType[type] = set = [];
            set.Add(key);
        }
        if (options.Mode == SeqevalMode.Strict)
        {
            var scheme = options.Scheme ?? throw new ArgumentException(
                "Strict mode needs SeqevalOptions.Scheme (the scheme whose token rules define an entity).", nameof(options));
            for (int s = 0; s < sentences.Count; s++)
                foreach (var e in StrictEntityExtractor.Entities(sentences[s], scheme, s)) Add(e.Type, (s, e.Start, e.End));
            return byType;
        }
        var flat = new List<string>();
        foreach (var sentence in sentences) { flat.AddRange(sentence); flat.Add("O"); }
        foreach (var e in TagChunker.Chunks(flat)) Add(e.Type, (0, e.Start, e.End));
        return byType;
    }

    static (double Precision, double Recall, double F1) Scores(int correct, int predicted, int support, double zeroDivision)
    {
        double precision = predicted == 0 ? zeroDivision : (double)correct / predicted;
        double recall = support == 0 ? zeroDivision : (double)correct / support;
        double denominator = precision + recall;
        return (precision, recall, denominator == 0 ? 0 : 2 * precision * recall / denominator);
    }

    static AverageScore Micro(List<EntityTypeScore> perType, double zeroDivision)
    {
        int support = perType.Sum(s => s.Support);
        var (p, r, f) = Scores(perType.Sum(s => s.Correct), perType.Sum(s => s.Predicted), support, zeroDivision);
        return new AverageScore(p, r, f, support);
    }

    // numpy's mean of an empty array is NaN; seqeval returns that for macro when there are no entities.
    static AverageScore Macro(List<EntityTypeScore> perType) => perType.Count == 0
        ? new AverageScore(double.NaN, double.NaN, double.NaN, 0)
        : new AverageScore(perType.Average(s => s.Precision), perType.Average(s => s.Recall), perType.Average(s => s.F1),
            perType.Sum(s => s.Support));

    static AverageScore Weighted(List<EntityTypeScore> perType, double zeroDivision)
    {
        int support = perType.Sum(s => s.Support);
        if (support == 0)
        {
            // seqeval's special case when no true entities exist: zero_division unless something was predicted.
            bool nothingPredicted = perType.All(s => s.Predicted == 0);
            return new AverageScore(nothingPredicted ? zeroDivision : 0, zeroDivision, nothingPredicted ? zeroDivision : 0, 0);
        }
        return new AverageScore(perType.Sum(s => s.Precision * s.Support) / support, perType.Sum(s => s.Recall * s.Support) / support,
            perType.Sum(s => s.F1 * s.Support) / support, support);
    }
}
