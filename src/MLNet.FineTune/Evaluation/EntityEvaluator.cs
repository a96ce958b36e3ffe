using Microsoft.ML;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Evaluation;

/// <summary>
/// ML.NET-style evaluator for a FineTune token-classification output: entity-level precision/recall/F1 per type with
/// seqeval's semantics (default or strict mode), micro/macro averages and token accuracy.
/// </summary>
public static class EntityEvaluator
{
    /// <param name="scored">output of a fitted FineTune model with a token-classification head</param>
    /// <param name="labelColumnName">the true tags (space-separated text or text vector)</param>
    /// <param name="predictedTagsColumnName">the predicted tags column (text vector)</param>
    /// <param name="options">seqeval mode (default or strict) and tag scheme; null for seqeval's defaults</param>
    public static SeqevalReport Evaluate(IDataView scored, string labelColumnName = "Tags", string predictedTagsColumnName = "PredictedTags",
        SeqevalOptions? options = null)
    {
        DataViewColumns.Require(scored.Schema, labelColumnName, "Tag");
        DataViewColumns.Require(scored.Schema, predictedTagsColumnName, "Predicted tags");
        var truth = DataViewColumns.ReadAny(scored, labelColumnName).Select(AsTags).ToList();
        var predicted = DataViewColumns.ReadAny(scored, predictedTagsColumnName).Select(AsTags).ToList();
        for (int i = 0; i < truth.Count; i++)
            if (predicted[i].Count != truth[i].Count)  // truncated rows: words past MaxSequenceLength are predicted "O"
                predicted[i] = predicted[i].Concat(Enumerable.Repeat("O", Math.Max(0, truth[i].Count - predicted[i].Count))).Take(truth[i].Count).ToArray();
        return SeqevalMetrics.Evaluate(truth, predicted, options);
    }

    static IReadOnlyList<string> AsTags(object? value) => value switch
    {
        string s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries),
        string[] a => a,
        _ => Array.Empty<string>(),
    };
}
