using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Heads;

/// <summary>
/// A task on top of the shared encoder, as the user declares it: which column holds its labels and how to train it.
/// Declarations are immutable; <see cref="Fit"/> learns from the training labels and returns a new
/// <see cref="IFittedHead"/>, which owns the label vocabulary, the module, the loss, decoding and saving. A new kind of
/// head is one new folder: a declaration, a fitted head marked <see cref="HeadKindAttribute"/>, no switch to edit.
/// </summary>
public interface ITaskHead
{
    /// <summary>Unique within a model; the head's parameters live under <c>heads.{Name}.</c>.</summary>
    string Name { get; }

    /// <summary>The input column holding this head's labels.</summary>
    string LabelColumnName { get; }

    /// <summary>Weight of this head's loss in multi-task training. Default 1.</summary>
    double LossWeight { get; }

    /// <summary>
    /// Checks the label column before training (also before any data is read, from the schema alone); the message
    /// names the column, the expected and the actual type.
    /// </summary>
    void ValidateLabel(SchemaShape.Column label);

    /// <summary>The columns the fitted head will add, as far as the label column tells before Fit.</summary>
    IReadOnlyList<SchemaShape.Column> OutputShape(SchemaShape.Column label, string outputPrefix);

    /// <summary>Learns what the head needs from the training labels (class names) and returns the fitted head; this declaration is not changed.</summary>
    internal IFittedHead Fit(DataViewSchema.Column column, IReadOnlyList<object?> values, HeadTrainingDefaults defaults);
}

/// <summary>Settings of <see cref="Training.TrainingOptions"/> that act as defaults for every head that leaves them unset.</summary>
/// <param name="LabelSmoothing">Label smoothing of classification heads (Hugging Face's <c>label_smoothing_factor</c>).</param>
internal sealed record HeadTrainingDefaults(double LabelSmoothing = 0);

/// <summary>Marks an <see cref="IFittedHead"/> as the loader of saved heads of <see cref="Kind"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class HeadKindAttribute(string kind) : Attribute
{
    public string Kind { get; } = kind;
}
