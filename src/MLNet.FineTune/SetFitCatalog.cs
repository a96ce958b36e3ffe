using Microsoft.ML;

namespace MLNet.FineTune;

/// <summary>SetFit on <c>mlContext.MulticlassClassification.Trainers</c>, beside ML.NET's own multiclass trainers.</summary>
public static class SetFitCatalog
{
    /// <summary>
    /// Few-shot text classification with SetFit (<see cref="SetFitOptions"/>): the body is fine-tuned contrastively on pairs
    /// of the labelled texts, then a logistic regression is fitted on its embeddings. Outputs Score and PredictedLabel.
    /// </summary>
    public static SetFitEstimator SetFit(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, SetFitOptions options) =>
        new(Microsoft.ML.Data.CatalogUtils.GetEnvironment(catalog), options);
}
