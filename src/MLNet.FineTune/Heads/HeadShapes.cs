using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Heads;

/// <summary>Builds the <see cref="SchemaShape"/> columns heads promise before Fit, with the annotations downstream estimators check.</summary>
internal static class HeadShapes
{
    public static SchemaShape.Column Scalar(string name, DataViewType type) => new(name, SchemaShape.Column.VectorKind.Scalar, type, false);

    /// <summary>A score vector whose slots are named after the classes (SlotNames).</summary>
    public static SchemaShape.Column ScoreVector(string name) =>
        new(name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, TextVectorAnnotation("SlotNames"));

    /// <summary>A key column whose key values are the class names (KeyValues), so MapKeyToValue accepts it before Fit.</summary>
    public static SchemaShape.Column Key(string name) =>
        new(name, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, TextVectorAnnotation("KeyValues"));

    public static SchemaShape.Column VariableVector(string name, PrimitiveDataViewType itemType) =>
        new(name, SchemaShape.Column.VectorKind.VariableVector, itemType, false);

    static SchemaShape TextVectorAnnotation(string name) =>
        new(new[] { new SchemaShape.Column(name, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false) });

    public static string Describe(SchemaShape.Column c) =>
        c.ItemType + (c.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector") + (c.IsKey ? " (key)" : "");
}
