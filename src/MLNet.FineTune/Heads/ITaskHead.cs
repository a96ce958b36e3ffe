using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Heads;

/// <summary>One output column a head adds to the scored data.</summary>
public sealed record HeadOutputColumn(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations = null);

/// <summary>
/// A task on top of the shared encoder: how labels become training targets, which network turns encoder states into
/// logits, the loss, and how logits become ML.NET output columns. Tasks are classes implementing this interface
/// (classification, regression, token tagging), so the trainer and the transformer never switch on a task enum.
/// </summary>
public interface ITaskHead
{
    /// <summary>Unique within a model; the head's parameters live under <c>heads.{Name}.</c>.</summary>
    string Name { get; }

    /// <summary>The input column holding this head's labels.</summary>
    string LabelColumnName { get; }

    /// <summary>Checks the label column's type before training; the message names the column, the expected and the actual type.</summary>
    void ValidateLabelType(DataViewType actual);

    /// <summary>Learns the label vocabulary (class names) from the training labels, in the column's own representation.</summary>
    void FitLabels(DataViewSchema.Column column, IReadOnlyList<object?> values);

    /// <summary>Number of logits per example (or per token).</summary>
    int OutputSize { get; }

    /// <summary>Class names in logit order; empty for regression.</summary>
    IReadOnlyList<string> LabelNames { get; }

    /// <summary>True when the head predicts one label per token (entity tagging) rather than one per text.</summary>
    bool IsTokenLevel { get; }

    /// <summary>
    /// The label of one training row as numeric targets: one value (class index or regression value) for a
    /// sequence-level head, or one per token of <paramref name="encoding"/> (-100 = ignored in the loss) for a token-level head.
    /// </summary>
    float[] EncodeTarget(object? value, EncodedInput encoding);

    ClassifierModule CreateModule(TransformerConfig config);

    /// <summary>Mean loss of a batch. <paramref name="targets"/> holds <see cref="EncodeTarget"/> values: (B) or (B, T).</summary>
    Tensor Loss(Tensor logits, Tensor targets);

    /// <summary>The columns this head adds when scoring, named from <paramref name="outputPrefix"/> ("" for the default names).</summary>
    IReadOnlyList<HeadOutputColumn> OutputColumns(string outputPrefix);

    /// <summary>Per output column, one value per row of the batch (arrays of the columns' .NET types).</summary>
    Array[] Decode(Tensor logits, IReadOnlyList<EncodedInput> encodings, IReadOnlyList<string> texts);

    /// <summary>The metric a validation set reports for this head (accuracy, or negative mean squared error).</summary>
    IReadOnlyDictionary<string, double> Evaluate(Tensor logits, Tensor targets);

    /// <summary>Serialisable description (kind, label column, class names) for saving and the model card.</summary>
    HeadDescription Describe();
}

/// <summary>What is saved of a head besides its weights.</summary>
public sealed record HeadDescription(string Kind, string Name, string LabelColumnName, IReadOnlyList<string> LabelNames, string LabelKind, double LabelSmoothing = 0, float[]? ClassWeights = null,
    bool LabelAllSubwords = false)
{
    public ITaskHead Restore() => Kind switch
    {
        ClassificationHead.KindName => ClassificationHead.Restore(this),
        RegressionHead.KindName => new RegressionHead(Name, LabelColumnName),
        TokenClassificationHead.KindName => TokenClassificationHead.Restore(this),
        _ => throw new InvalidDataException($"Unknown head kind '{Kind}' in the saved model (this library knows: {ClassificationHead.KindName}, {RegressionHead.KindName})."),
    };
}
