using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Heads;

/// <summary>Regression on one or two texts (e.g. STS-B similarity): one output, mean squared error, an ML.NET <c>Score</c> column.</summary>
public sealed class RegressionHead : ITaskHead
{
    public const string KindName = "regression";

    public RegressionHead(string name = "regression", string labelColumnName = "Label") { Name = name; LabelColumnName = labelColumnName; }

    public string Name { get; }
    public string LabelColumnName { get; }
    public int OutputSize => 1;
    public IReadOnlyList<string> LabelNames => Array.Empty<string>();

    public void ValidateLabelType(DataViewType actual)
    {
        if (actual != NumberDataViewType.Single && actual != NumberDataViewType.Double)
            throw new ArgumentOutOfRangeException(LabelColumnName, $"Label column '{LabelColumnName}' has type {actual}; regression expects Single or Double.");
    }

    public void FitLabels(DataViewSchema.Column column, IReadOnlyList<object?> values) { }

    public bool IsTokenLevel => false;

    public float[] EncodeTarget(object? value, EncodedInput encoding) => new[] { EncodeOne(value, LabelColumnName) };

    static float EncodeOne(object? value, string column) => value switch
    {
        float f when float.IsFinite(f) => f,
        double d when double.IsFinite(d) => (float)d,
        _ => throw new InvalidDataException($"Label column '{column}': '{value}' is not a finite number."),
    };

    public ClassifierModule CreateModule(TransformerConfig config) => ClassifierModule.ForSequence(config, 1);

    public Tensor Loss(Tensor logits, Tensor targets) => nn.functional.mse_loss(logits.squeeze(-1), targets.to(logits.dtype));

    public IReadOnlyList<HeadOutputColumn> OutputColumns(string prefix) => new[] { new HeadOutputColumn(prefix + "Score", NumberDataViewType.Single) };

    public Array[] Decode(Tensor logits, IReadOnlyList<EncodedInput> encodings, IReadOnlyList<string> texts) => new Array[] { logits.squeeze(-1).to(ScalarType.Float32).cpu().data<float>().ToArray() };

    public IReadOnlyDictionary<string, double> Evaluate(Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var mse = nn.functional.mse_loss(logits.squeeze(-1), targets.to(logits.dtype)).item<float>();
        return new Dictionary<string, double> { ["mse"] = mse, ["loss"] = mse };
    }

    public HeadDescription Describe() => new(KindName, Name, LabelColumnName, Array.Empty<string>(), "number");
}
