namespace MLNet.FineTune.Cli.Reports;

/// <summary>Precision, recall, F1 and support of one class.</summary>
internal sealed record ClassScore(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Classification metrics from gold labels and predicted probabilities: accuracy, macro and weighted F1, log loss, a score
/// per class and the confusion matrix (gold labels the model never saw get their own rows, and count as errors).
/// </summary>
internal sealed class ClassificationReport
{
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>[gold, predicted] counts over <see cref="Labels"/>.</summary>
    public required int[,] Confusion { get; init; }
    public required IReadOnlyList<ClassScore> PerClass { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <param name="modelLabels">The model's classes, in score order.</param>
    /// <param name="gold">Gold label per row.</param>
    /// <param name="probabilities">Per row, one probability per model class.</param>
    public static ClassificationReport Create(IReadOnlyList<string> modelLabels, IReadOnlyList<string> gold, IReadOnlyList<float[]> probabilities)
    {
        var labels = modelLabels.Concat(gold.Where(g => !modelLabels.Contains(g)).Distinct()).ToList();
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
        var confusion = new int[labels.Count, labels.Count];
        double logLoss = 0;
        int correct = 0;
        for (int r = 0; r < gold.Count; r++)
        {
            int p = ArgMax(probabilities[r]), g = index[gold[r]];
            confusion[g, p]++;
            if (g == p) correct++;
            // Unseen gold labels have probability 0: clipped as scikit-learn's log_loss does.
            double pg = g < probabilities[r].Length ? probabilities[r][g] : 0;
            logLoss -= Math.Log(Math.Clamp(pg, 1e-15, 1));
        }
        var perClass = new List<ClassScore>();
        for (int c = 0; c < labels.Count; c++)
        {
            int tp = confusion[c, c], predicted = 0, support = 0;
            for (int k = 0; k < labels.Count; k++) { predicted += confusion[k, c]; support += confusion[c, k]; }
            double precision = predicted == 0 ? 0 : (double)tp / predicted, recall = support == 0 ? 0 : (double)tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassScore(labels[c], precision, recall, f1, support));
        }
        var present = perClass.Where(s => s.Support > 0).ToList();
        int n = gold.Count;
        var metrics = new Dictionary<string, double>
        {
            ["accuracy"] = n == 0 ? 0 : (double)correct / n,
            ["macro_precision"] = present.Count == 0 ? 0 : present.Average(s => s.Precision),
            ["macro_recall"] = present.Count == 0 ? 0 : present.Average(s => s.Recall),
            ["macro_f1"] = present.Count == 0 ? 0 : present.Average(s => s.F1),
            ["weighted_f1"] = n == 0 ? 0 : present.Sum(s => s.F1 * s.Support) / n,
            ["log_loss"] = n == 0 ? 0 : logLoss / n,
        };
        return new ClassificationReport { Labels = labels, Confusion = confusion, PerClass = perClass, Metrics = metrics };
    }

    public static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
