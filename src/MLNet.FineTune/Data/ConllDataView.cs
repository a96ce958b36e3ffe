using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Data;

/// <summary>Turns CoNLL sentences into an ML.NET <see cref="IDataView"/> for NER pipelines.</summary>
public static class ConllDataView
{
    /// <summary>Name of the column with the words joined by single spaces.</summary>
    public const string TextColumn = "Text";

    /// <summary>Name of the column with the tags joined by single spaces.</summary>
    public const string TagsColumn = "Tags";

    /// <summary>Name of the text-vector column of words.</summary>
    public const string WordsColumn = "Words";

    /// <summary>Name of the text-vector column of tags.</summary>
    public const string LabelsColumn = "Labels";

    /// <summary>
    /// A data view with one row per sentence and the requested columns (<c>Text</c>, <c>Tags</c>: text;
    /// <c>Words</c>, <c>Labels</c>: variable-length text vectors), in that order.
    /// </summary>
    /// <remarks>
    /// Words are joined with single spaces, so a word that itself contains a space (possible with tab-separated
    /// files) would split differently when the text is re-tokenized; the vector columns keep words intact.
    /// </remarks>
    public static IDataView ToDataView(this IEnumerable<ConllSentence> sentences, MLContext mlContext,
        ConllColumns columns = ConllColumns.All)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        if ((columns & ConllColumns.All) == 0 || (columns & ~ConllColumns.All) != 0)
            throw new ArgumentOutOfRangeException(nameof(columns), columns, "Choose one or more of Text, Tags, Words, Labels.");
        var schema = SchemaDefinition.Create(typeof(ConllRow));
        foreach (var (flag, name) in new[] { (ConllColumns.Text, TextColumn), (ConllColumns.Tags, TagsColumn),
                     (ConllColumns.Words, WordsColumn), (ConllColumns.Labels, LabelsColumn) })
            if ((columns & flag) == 0) schema.Remove(schema.Single(c => c.ColumnName == name));
        var rows = sentences.Select(s => new ConllRow
        {
            Text = string.Join(' ', s.Words),
            Tags = string.Join(' ', s.Tags),
            Words = s.Words,
            Labels = s.Tags,
        });
        return mlContext.Data.LoadFromEnumerable(rows, schema);
    }
}
