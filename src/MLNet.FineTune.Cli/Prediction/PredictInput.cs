using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Cli.Prediction;

/// <summary>One input row; its two properties are renamed to the model's text input columns by <see cref="View"/>.</summary>
internal sealed class PredictInput
{
    public string Text { get; set; } = "";
    public string TextPair { get; set; } = "";
    public string Label { get; set; } = "";

    /// <summary>A batch as an IDataView whose columns carry the model's input names.</summary>
    public static IDataView View(MLContext ml, IReadOnlyList<PredictInput> rows, IReadOnlyList<string> textColumns, string? labelColumn = null)
    {
        var schema = SchemaDefinition.Create(typeof(PredictInput));
        schema[nameof(Text)].ColumnName = textColumns[0];
        if (textColumns.Count > 1) schema[nameof(TextPair)].ColumnName = textColumns[1];
        else schema.Remove(schema[nameof(TextPair)]);
        if (labelColumn is not null) schema[nameof(Label)].ColumnName = labelColumn;
        else schema.Remove(schema[nameof(Label)]);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }
}
