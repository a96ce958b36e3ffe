using MLNet.FineTune.Scoring;
using Microsoft.ML.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Heads;

/// <summary>
/// A head after Fit: its label vocabulary, how labels become training targets, the module that turns encoder states
/// into logits, the loss, how logits become ML.NET output columns, and how it is saved. The trainer and the
/// transformer work only through this interface, so they never switch on a task kind. A fitted head class carries
/// <see cref="HeadKindAttribute"/> and a static <c>Restore(HeadDescription)</c> (<see cref="IRestorableHead{TSelf}"/>).
/// </summary>
internal interface IFittedHead
{
    string Name { get; }
    string LabelColumnName { get; }
    double LossWeight { get; }

    /// <summary>Number of logits per example (or per token).</summary>
    int OutputSize { get; }

    /// <summary>Class names in logit order; empty for regression.</summary>
    IReadOnlyList<string> LabelNames { get; }

    /// <summary>True when the head predicts one label per token (entity tagging) rather than one per text.</summary>
    bool IsTokenLevel { get; }

    /// <summary>
    /// The label of one training row as numeric targets: one value (class index or regression value; NaN = no label
    /// for this head) for a sequence-level head, or one per token of <paramref name="encoding"/> (-100 = ignored in the loss).
    /// </summary>
    float[] EncodeTarget(object? value, EncodedInput encoding);

    /// <summary>
    /// Checks one row's label against its whole text before it is encoded (the encoding may be truncated), e.g. one tag
    /// per word; throws an <see cref="InvalidDataException"/> naming the column and what is wrong. Default: nothing to check.
    /// </summary>
    void CheckRow(object? value, string text) { }

    ClassifierModule CreateModule(TransformerConfig config);

    /// <summary>Mean loss of a batch. <paramref name="targets"/> holds <see cref="EncodeTarget"/> values: (B) or (B, T).</summary>
    Tensor Loss(Tensor logits, Tensor targets);

    /// <summary>The columns this head adds when scoring, named from <paramref name="outputPrefix"/> ("" for the default names).</summary>
    IReadOnlyList<ScoredColumn> OutputColumns(string outputPrefix);

    /// <summary>Per output column, one value per row of the batch (arrays of the columns' .NET types).</summary>
    Array[] Decode(Tensor logits, IReadOnlyList<EncodedInput> encodings, IReadOnlyList<string> texts);

    /// <summary>The metric a validation set reports for this head (accuracy, or negative mean squared error).</summary>
    IReadOnlyDictionary<string, double> Evaluate(Tensor logits, Tensor targets);

    /// <summary>Serialisable description (kind, label column, class names, settings) for saving and the model card.</summary>
    HeadDescription Describe();
}

/// <summary>How a fitted head kind is rebuilt from its saved description.</summary>
internal interface IRestorableHead<TSelf> where TSelf : IFittedHead
{
    static abstract TSelf Restore(HeadDescription description);
}
