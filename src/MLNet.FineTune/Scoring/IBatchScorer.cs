using Microsoft.ML;
using MLNet.FineTune.Heads;

namespace MLNet.FineTune.Scoring;

/// <summary>Scores a batch of rows at once: the text inputs of B rows in, one array of B values per output column out.</summary>
internal interface IBatchScorer
{
    /// <summary>Names of the input text columns the scorer reads, in order (text, then the optional second text).</summary>
    IReadOnlyList<string> InputColumnNames { get; }

    IReadOnlyList<HeadOutputColumn> OutputColumns { get; }

    /// <summary>Rows per encoder call when scoring an IDataView.</summary>
    int BatchSize { get; }

    /// <param name="inputs">inputs[i][r]: input column i of row r.</param>
    Array[] Score(IReadOnlyList<string[]> inputs);
}

/// <summary>Builds the output schema shared by the data view and the row mapper: the input columns, then the outputs (hiding same-named inputs).</summary>
internal static class ScoringSchema
{
    public static DataViewSchema Build(DataViewSchema input, IReadOnlyList<HeadOutputColumn> outputs)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var o in outputs) builder.AddColumn(o.Name, o.Type, o.Annotations);
        return builder.ToSchema();
    }
}
