using MLNet.FineTune.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Heads;

/// <summary>Regression on one or two texts (e.g. STS-B similarity): one output, mean squared error, an ML.NET <c>Score</c> column.</summary>
public sealed record RegressionHead : ITaskHead
{
    public const string KindName = "regression";

    public RegressionHead(string name = "regression", string labelColumnName = "Label") { Name = name; LabelColumnName = labelColumnName; }

    public string Name { get; init; }
    public string LabelColumnName { get; init; }
    /// <inheritdoc/>
    public double LossWeight { get; init; } = 1;

    public void ValidateLabel(SchemaShape.Column label)
    {
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || label.IsKey || (label.ItemType != NumberDataViewType.Single && label.ItemType != NumberDataViewType.Double))
            throw new ArgumentOutOfRangeException(LabelColumnName, $"Label column '{LabelColumnName}' has type {HeadShapes.Describe(label)}; regression expects Single or Double.");
    }

    public IReadOnlyList<SchemaShape.Column> OutputShape(SchemaShape.Column label, string prefix) => [HeadShapes.Scalar(prefix + "Score", NumberDataViewType.Single)];

    IFittedHead ITaskHead.Fit(DataViewSchema.Column column, IReadOnlyList<object?> values, HeadTrainingDefaults defaults) =>
        new FittedRegressionHead(Name, LabelColumnName, LossWeight);
}

/// <summary>A fitted <see cref="RegressionHead"/> (nothing is learnt from the labels but their type).</summary>
[HeadKind(RegressionHead.KindName)]
internal sealed class FittedRegressionHead(string name, string labelColumnName, double lossWeight = 1) : IFittedHead, IRestorableHead<FittedRegressionHead>
{
    public string Name => name;
    public string LabelColumnName => labelColumnName;
    public double LossWeight => lossWeight;
    public int OutputSize => 1;
    public IReadOnlyList<string> LabelNames => Array.Empty<string>();
    public bool IsTokenLevel => false;

    public float[] EncodeTarget(object? value, EncodedInput encoding) => new[] { EncodeOne(value, LabelColumnName) };

    // NaN (ML.NET's missing value) means "not labelled for this head": multi-task rows may carry other heads' labels
    // only, and the loss and validation metrics skip such rows. Infinities are refused.
    static float EncodeOne(object? value, string column) => value switch
    {
        null => float.NaN,
        float f when float.IsFinite(f) || float.IsNaN(f) => f,
        double d when double.IsFinite(d) || double.IsNaN(d) => (float)d,
        _ => throw new InvalidDataException($"Label column '{column}': '{value}' is not a finite number (NaN marks a row without a label for this head)."),
    };

    public ClassifierModule CreateModule(TransformerConfig config) => ClassifierModule.ForSequence(config, 1);

    public Tensor Loss(Tensor logits, Tensor targets) => nn.functional.mse_loss(logits.squeeze(-1), targets.to(logits.dtype));

    public IReadOnlyList<ScoredColumn> OutputColumns(string prefix) => HeadColumns.Regression(prefix);

    public Array[] Decode(Tensor logits, IReadOnlyList<EncodedInput> encodings, IReadOnlyList<string> texts) => new Array[] { logits.squeeze(-1).to(ScalarType.Float32).cpu().data<float>().ToArray() };

    public IReadOnlyDictionary<string, double> Evaluate(Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var mse = nn.functional.mse_loss(logits.squeeze(-1), targets.to(logits.dtype)).item<float>();
        return new Dictionary<string, double> { ["mse"] = mse, ["loss"] = mse };
    }

    public HeadDescription Describe() => new(RegressionHead.KindName, Name, LabelColumnName, Array.Empty<string>(), "number", LossWeight: LossWeight);

    public static FittedRegressionHead Restore(HeadDescription d) => new(d.Name, d.LabelColumnName, d.LossWeight);
}
