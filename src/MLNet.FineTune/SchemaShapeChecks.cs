using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune;

/// <summary>Input-column checks of an estimator's GetOutputSchema; errors name the role, the column and its type.</summary>
internal static class SchemaShapeChecks
{
    public static SchemaShape.Column Require(SchemaShape schema, string name, string role)
    {
        if (!schema.TryFindColumn(name, out var column))
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' not found in the input schema (columns: {string.Join(", ", schema.Select(c => c.Name))}).");
        return column;
    }

    public static void RequireText(SchemaShape schema, string name, string role)
    {
        var column = Require(schema, name, role);
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has type {Describe(column)}; expected String.");
    }

    public static string Describe(SchemaShape.Column column) => column.ItemType + (column.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector");
}
