using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Heads;

/// <summary>
/// Single-text or sentence-pair classification. Labels arrive as ML.NET users pass them: string, bool, key, or
/// number. Output follows ML.NET: a Boolean label gives binary-classifier columns (<c>Score</c> = logit margin,
/// <c>Probability</c>, <c>PredictedLabel</c> bool) for <c>BinaryClassification.Evaluate</c>; any other label gives
/// multiclass columns (<c>Score</c> = vector of class probabilities with slot names, <c>PredictedLabel</c> = key whose
/// key values are the original labels) for <c>MulticlassClassification.Evaluate</c>.
/// </summary>
public sealed record ClassificationHead : ITaskHead
{
    public const string KindName = "classification";

    /// <param name="name">Unique head name (parameters live under <c>heads.{name}.</c>).</param>
    /// <param name="labelColumnName">The label column.</param>
    /// <param name="labelSmoothing">Label smoothing in [0, 1); null: <see cref="Training.TrainingOptions.LabelSmoothing"/>.</param>
    /// <param name="classWeights">Per-class loss weights (imbalanced labels) in the fitted class order; null: all 1.</param>
    public ClassificationHead(string name = "classification", string labelColumnName = "Label", double? labelSmoothing = null, float[]? classWeights = null)
    {
        Name = name; LabelColumnName = labelColumnName; LabelSmoothing = labelSmoothing; ClassWeights = classWeights;
    }

    public string Name { get; init; }
    public string LabelColumnName { get; init; }
    /// <summary>Label smoothing in [0, 1). Default null: <see cref="Training.TrainingOptions.LabelSmoothing"/>.</summary>
    public double? LabelSmoothing { get; init; }
    /// <summary>Optional per-class loss weights, in the fitted class order (Boolean labels: False, True). Default null.</summary>
    public float[]? ClassWeights { get; init; }
    /// <inheritdoc/>
    public double LossWeight { get; init; } = 1;

    public void ValidateLabel(SchemaShape.Column label)
    {
        var t = label.ItemType;
        bool ok = label.Kind == SchemaShape.Column.VectorKind.Scalar && (label.IsKey || t is TextDataViewType or BooleanDataViewType
            || t == NumberDataViewType.Single || t == NumberDataViewType.Double || t == NumberDataViewType.Int32 || t == NumberDataViewType.Int64);
        if (!ok) throw new ArgumentOutOfRangeException(LabelColumnName,
            $"Label column '{LabelColumnName}' has type {HeadShapes.Describe(label)}; expected a scalar String, Boolean, a key type, or a number (Single, Double, Int32, Int64).");
    }

    public IReadOnlyList<SchemaShape.Column> OutputShape(SchemaShape.Column label, string prefix) => label.ItemType is BooleanDataViewType
        ? [HeadShapes.Scalar(prefix + "Score", NumberDataViewType.Single), HeadShapes.Scalar(prefix + "Probability", NumberDataViewType.Single),
           HeadShapes.Scalar(prefix + "PredictedLabel", BooleanDataViewType.Instance)]
        : [HeadShapes.ScoreVector(prefix + "Score"), HeadShapes.Key(prefix + "PredictedLabel")];

    IFittedHead ITaskHead.Fit(DataViewSchema.Column column, IReadOnlyList<object?> values, HeadTrainingDefaults defaults)
    {
        var (labels, kind) = FittedClassificationHead.LearnLabels(column, values, LabelColumnName);
        var head = new FittedClassificationHead(Name, LabelColumnName, labels, kind, LabelSmoothing ?? defaults.LabelSmoothing, ClassWeights, LossWeight);
        if (ClassWeights is { } w && w.Length != labels.Length)
            throw new ArgumentException($"ClassificationHead '{Name}': {w.Length} class weights for {labels.Length} classes ({string.Join(", ", labels.Take(20))}).");
        return head;
    }
}
