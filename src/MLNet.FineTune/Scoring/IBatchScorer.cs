using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Scoring;

/// <summary>One column a scorer adds to the scored data.</summary>
internal sealed record ScoredColumn(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations = null);

/// <summary>
/// Scores a batch of rows at once: the input columns' values of B rows in, one array of B values per output column out.
/// The one row-mapping mechanism of every MLNet.FineTune transformer: <see cref="BatchedScoringDataView"/> feeds it
/// <see cref="BatchSize"/> rows at a time (Transform), <see cref="ScoringRowMapper"/> one row (PredictionEngine).
/// </summary>
internal interface IBatchScorer
{
    /// <summary>Names of the input columns the scorer reads, in the order <see cref="Score"/> receives them.</summary>
    IReadOnlyList<string> InputColumnNames { get; }

    IReadOnlyList<ScoredColumn> OutputColumns { get; }

    /// <summary>Rows per call when scoring an IDataView.</summary>
    int BatchSize { get; }

    /// <param name="inputs">
    /// inputs[i][r]: input column i of row r, as the column's .NET value (string for text, the VBuffer for vectors:
    /// a private copy the scorer may keep).
    /// </param>
    /// <returns>Per output column, an array of one value per row of the column's .NET type.</returns>
    Array[] Score(IReadOnlyList<object?[]> inputs);
}

/// <summary>Builds the output schema shared by the data view and the row mapper: the input columns, then the outputs (hiding same-named inputs).</summary>
internal static class ScoringSchema
{
    public static DataViewSchema Build(DataViewSchema input, IReadOnlyList<ScoredColumn> outputs)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var o in outputs) builder.AddColumn(o.Name, o.Type, o.Annotations);
        return builder.ToSchema();
    }
}
