using System.Globalization;
using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Cli.Training;

namespace MLNet.FineTune.Cli.Reports;

/// <summary>
/// <c>evaluate</c> of a sentence-embedding model on text pairs, by the cosine similarity of each pair's embeddings —
/// the measures of sentence-transformers' evaluators, chosen by what the labels are:
/// <list type="bullet">
/// <item>scores (any numbers): Spearman and Pearson correlation of cosine and score (EmbeddingSimilarityEvaluator);</item>
/// <item>0/1 (or true/false) labels: accuracy and F1 at their best cosine thresholds (BinaryClassificationEvaluator);</item>
/// <item>no labels ((anchor, positive) pairs): each anchor ranks every positive of the file; accuracy@1 and MRR@10
/// (InformationRetrievalEvaluator with one relevant text per query).</item>
/// </list>
/// </summary>
internal static class EmbeddingPairReport
{
    const int ErrorsKept = 100, RankCutoff = 10;

    public static ModelEvaluation Run(TextEmbeddingTransformer model, LabelledData data)
    {
        if (data.Pairs is null) throw new UserError($"{Path.GetFileName(data.Path)}: an embedding model is evaluated on text pairs; every row needs a second text.");
        var first = model.Embed(data.Texts);
        var second = model.Embed(data.Pairs);
        if (data.Labels.All(l => l.Length == 0)) return Retrieval(data, first, second);
        var targets = Targets(data);
        var cosines = Enumerable.Range(0, data.Count).Select(r => Cosine(first[r], second[r])).ToArray();
        return targets.All(t => t is 0 or 1) ? Binary(data, cosines, targets) : Scored(data, cosines, targets);
    }

    /// <summary>Each pair's label as a number; true/false as 1/0. A missing or non-numeric label names its line.</summary>
    public static double[] Targets(LabelledData data) => data.Labels.Select((l, r) => l switch
    {
        "true" => 1.0,
        "false" => 0.0,
        _ when double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) => v,
        _ => throw new UserError($"{Path.GetFileName(data.Path)}:{data.Lines[r]}: label: invalid_value: " +
            (l.Length == 0 ? "the pair has no label, but others do; label every pair or none" : $"'{l}' is not a number; a pair's label is a similarity score or 0/1")),
    }).ToArray();

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    static Dictionary<string, object?> Row(LabelledData data, int r, double cosine) => new()
    {
        ["line"] = data.Lines[r], ["text"] = data.Texts[r], ["text_pair"] = data.Pairs![r], ["cosine"] = Math.Round(cosine, 6),
    };

    static ModelEvaluation Scored(LabelledData data, double[] cosines, double[] scores)
    {
        var (rankCos, rankScore) = (Ranks(cosines), Ranks(scores));
        var metrics = new Dictionary<string, double> { ["spearman"] = Pearson(rankCos, rankScore), ["pearson"] = Pearson(cosines, scores) };
        // The pairs whose similarity rank is furthest from their score's rank: what the model orders worst.
        var errors = Enumerable.Range(0, data.Count).OrderByDescending(r => Math.Abs(rankCos[r] - rankScore[r])).Take(ErrorsKept).Select(r =>
        {
            var row = Row(data, r, cosines[r]);
            row["gold"] = scores[r]; row["cosine_rank"] = rankCos[r]; row["gold_rank"] = rankScore[r];
            return row;
        }).ToList();
        return new ModelEvaluation { Task = "embeddings", Rows = data.Count, Metrics = metrics, PerClass = [], Errors = errors };
    }

    static ModelEvaluation Binary(LabelledData data, double[] cosines, double[] labels)
    {
        int n = data.Count, positives = labels.Count(l => l == 1);
        // Sweep thresholds from the most similar pair down: predicting "similar" for the top k pairs.
        var order = Enumerable.Range(0, n).OrderByDescending(r => cosines[r]).ToArray();
        double bestAccuracy = (double)(n - positives) / n, accuracyThreshold = cosines[order[0]] + 1e-6;
        double bestF1 = 0, f1Threshold = accuracyThreshold, bestPrecision = 0, bestRecall = 0;
        int truePositives = 0;
        for (int k = 1; k <= n; k++)
        {
            if (labels[order[k - 1]] == 1) truePositives++;
            // Thresholds sit between distinct cosines (ties move together).
            if (k < n && cosines[order[k]] == cosines[order[k - 1]]) continue;
            double threshold = k < n ? (cosines[order[k - 1]] + cosines[order[k]]) / 2 : cosines[order[n - 1]] - 1e-6;
            double accuracy = (truePositives + (n - k) - (positives - truePositives)) / (double)n;
            if (accuracy > bestAccuracy) (bestAccuracy, accuracyThreshold) = (accuracy, threshold);
            double precision = (double)truePositives / k, recall = positives == 0 ? 0 : (double)truePositives / positives;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            if (f1 > bestF1) (bestF1, f1Threshold, bestPrecision, bestRecall) = (f1, threshold, precision, recall);
        }
        var metrics = new Dictionary<string, double>
        {
            ["accuracy"] = bestAccuracy, ["accuracy_threshold"] = accuracyThreshold,
            ["f1"] = bestF1, ["f1_threshold"] = f1Threshold, ["precision"] = bestPrecision, ["recall"] = bestRecall,
        };
        var errors = Enumerable.Range(0, n).Where(r => (cosines[r] > accuracyThreshold) != (labels[r] == 1))
            .OrderByDescending(r => Math.Abs(cosines[r] - accuracyThreshold)).Take(ErrorsKept).Select(r =>
            {
                var row = Row(data, r, cosines[r]);
                row["gold"] = (int)labels[r]; row["predicted"] = cosines[r] > accuracyThreshold ? 1 : 0;
                return row;
            }).ToList();
        return new ModelEvaluation { Task = "embeddings", Rows = n, Metrics = metrics, PerClass = [], Errors = errors };
    }

    static ModelEvaluation Retrieval(LabelledData data, float[][] anchors, float[][] positives)
    {
        // The candidates are the file's distinct positives; an anchor's answer is its own row's positive.
        var distinct = data.Pairs!.Select((p, r) => (p, r)).GroupBy(x => x.p, StringComparer.Ordinal).Select(g => g.First().r).ToList();
        var pairs = data.Pairs!;
        var candidateOf = pairs.Select(p => distinct.FindIndex(r => pairs[r] == p)).ToArray();
        double hits = 0, reciprocal = 0;
        var errors = new List<(int Rank, Dictionary<string, object?> Row)>();
        for (int r = 0; r < data.Count; r++)
        {
            var similarities = distinct.Select(c => Cosine(anchors[r], positives[c])).ToArray();
            double own = similarities[candidateOf[r]];
            int rank = 1 + similarities.Count(s => s > own);
            if (rank == 1) hits++;
            if (rank <= RankCutoff) reciprocal += 1.0 / rank;
            if (rank == 1) continue;
            int best = Array.IndexOf(similarities, similarities.Max());
            var row = Row(data, r, own);
            row["rank"] = rank; row["top_hit"] = pairs[distinct[best]]; row["top_hit_cosine"] = Math.Round(similarities[best], 6);
            errors.Add((rank, row));
        }
        var metrics = new Dictionary<string, double> { ["accuracy_at_1"] = hits / data.Count, ["mrr_at_10"] = reciprocal / data.Count, ["candidates"] = distinct.Count };
        return new ModelEvaluation
        {
            Task = "embeddings", Rows = data.Count, Metrics = metrics, PerClass = [],
            Errors = errors.OrderByDescending(e => e.Rank).Take(ErrorsKept).Select(e => e.Row).ToList(),
        };
    }

    /// <summary>1-based ranks, ties sharing their mean rank (as Spearman's rho needs).</summary>
    static double[] Ranks(double[] values)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && values[order[j + 1]] == values[order[i]]) j++;
            for (int k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return ranks;
    }

    static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my); }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }
}
