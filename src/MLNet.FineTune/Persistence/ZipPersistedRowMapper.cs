using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// The row-level half of a <see cref="ZipPersistedTransformer"/>, bound to one input schema: which columns it
/// adds, which input columns it reads, and a getter per added column. Uses only public ML.NET types; the base class
/// adapts it to ML.NET's internal IRowMapper. Input columns pass through unchanged; a new column with an existing
/// name hides the old one, as in every ML.NET transformer.
/// </summary>
internal abstract class ZipPersistedRowMapper
{
    /// <summary>Binds the mapper to <paramref name="inputSchema"/>; validate the columns you need here.</summary>
    protected ZipPersistedRowMapper(DataViewSchema inputSchema)
        => InputSchema = inputSchema ?? throw new ArgumentNullException(nameof(inputSchema));

    /// <summary>The schema this mapper was bound to.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>Columns this mapper adds, in order; getter indices refer to this list.</summary>
    protected abstract IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

    /// <summary>Input columns read by the getters; ML.NET activates only these when any output is requested.</summary>
    protected abstract IReadOnlyList<DataViewSchema.Column> InputColumns { get; }

    /// <summary>
    /// Returns a <c>ValueGetter&lt;T&gt;</c> for added column <paramref name="outputIndex"/>, whose T matches that
    /// column's type (e.g. <c>VBuffer&lt;float&gt;</c> for a float vector). Called once per cursor; the getter is
    /// called once per row. <paramref name="disposer"/> (may be null) runs when the cursor is disposed.
    /// </summary>
    protected abstract Delegate MakeGetter(DataViewRow input, int outputIndex, out Action? disposer);

    internal IReadOnlyList<DataViewSchema.DetachedColumn> GetOutputColumns() => OutputColumns;

    internal IReadOnlyList<DataViewSchema.Column> GetInputColumns() => InputColumns;

    internal Delegate MakeGetterFor(DataViewRow input, int outputIndex, out Action? disposer)
        => MakeGetter(input, outputIndex, out disposer);

    /// <summary>
    /// Finds input column <paramref name="name"/> and checks that it is a vector (any size) of
    /// <paramref name="itemType"/>; the error names the column, the expected and the actual type.
    /// </summary>
    protected static DataViewSchema.Column RequireVectorColumn(DataViewSchema schema, string name, PrimitiveDataViewType itemType)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{name}' not found; the input has: {string.Join(", ", schema.Select(c => c.Name))}.");
        if (column.Type is not VectorDataViewType vector || !vector.ItemType.Equals(itemType))
            throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{name}': expected a vector of {itemType}, found {column.Type}.");
        return column;
    }

    /// <summary>Finds input column <paramref name="name"/> and checks its exact type.</summary>
    protected static DataViewSchema.Column RequireColumn(DataViewSchema schema, string name, DataViewType type)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{name}' not found; the input has: {string.Join(", ", schema.Select(c => c.Name))}.");
        if (!column.Type.Equals(type))
            throw new ArgumentOutOfRangeException(nameof(schema), $"Input column '{name}': expected {type}, found {column.Type}.");
        return column;
    }
}
