using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Scoring;

/// <summary>Input-column checks for scorers; each error names the column, the expected and the actual type.</summary>
internal static class ScoringInputs
{
    /// <summary>Finds input column <paramref name="name"/> and checks its exact type.</summary>
    public static DataViewSchema.Column Require(DataViewSchema schema, string name, DataViewType type)
    {
        var column = Find(schema, name);
        if (!column.Type.Equals(type))
            throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{name}': expected {type}, found {column.Type}.");
        return column;
    }

    /// <summary>Finds input column <paramref name="name"/> and checks that it is a vector (any size) of <paramref name="itemType"/>.</summary>
    public static DataViewSchema.Column RequireVector(DataViewSchema schema, string name, PrimitiveDataViewType itemType)
    {
        var column = Find(schema, name);
        if (column.Type is not VectorDataViewType vector || !vector.ItemType.Equals(itemType))
            throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{name}': expected a vector of {itemType}, found {column.Type}.");
        return column;
    }

    static DataViewSchema.Column Find(DataViewSchema schema, string name) => schema.GetColumnOrNull(name)
        ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{name}' not found; the input has: {string.Join(", ", schema.Select(c => c.Name))}.");
}
