using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Cli.Prediction;

/// <summary>
/// Reads a scored row's output columns as JSON-friendly values: numbers, booleans, strings, key values by their
/// names (PredictedLabel "pos" rather than key 2), vectors as arrays. Columns of other types are left out.
/// </summary>
internal sealed class OutputColumns
{
    readonly List<(string Name, Func<object?> Get)> getters = [];

    OutputColumns() { }

    /// <summary>Getters for every visible column of <paramref name="cursor"/> that the input did not have.</summary>
    public static OutputColumns For(DataViewRowCursor cursor, DataViewSchema input)
    {
        var result = new OutputColumns();
        foreach (var column in cursor.Schema)
        {
            // SetFit's intermediate embedding is the body's output, not a prediction (hundreds of numbers per line).
            if (column.IsHidden || input.GetColumnOrNull(column.Name) is not null || column.Name == SetFitEstimator.EmbeddingColumnName) continue;
            if (Getter(cursor, column) is { } get) result.getters.Add((column.Name, get));
        }
        return result;
    }

    public bool IsEmpty => getters.Count == 0;

    public Dictionary<string, object?> Read()
    {
        var row = new Dictionary<string, object?>(getters.Count);
        foreach (var (name, get) in getters) row[name] = get();
        return row;
    }

    static Func<object?>? Getter(DataViewRowCursor cursor, DataViewSchema.Column column) => column.Type switch
    {
        NumberDataViewType n when n.RawType == typeof(float) => Box<float>(cursor, column, v => v),
        NumberDataViewType n when n.RawType == typeof(double) => Box<double>(cursor, column, v => v),
        NumberDataViewType n when n.RawType == typeof(int) => Box<int>(cursor, column, v => v),
        NumberDataViewType n when n.RawType == typeof(long) => Box<long>(cursor, column, v => v),
        BooleanDataViewType => Box<bool>(cursor, column, v => v),
        TextDataViewType => Box<ReadOnlyMemory<char>>(cursor, column, v => v.ToString()),
        KeyDataViewType k when k.RawType == typeof(uint) => Key(cursor, column),
        VectorDataViewType { ItemType: NumberDataViewType n } when n.RawType == typeof(float) => Box<VBuffer<float>>(cursor, column, v => v.DenseValues().ToArray()),
        VectorDataViewType { ItemType: TextDataViewType } => Box<VBuffer<ReadOnlyMemory<char>>>(cursor, column, v => v.DenseValues().Select(s => s.ToString()).ToArray()),
        _ => null,
    };

    static Func<object?> Box<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, object?> convert)
    {
        var getter = cursor.GetGetter<T>(column);
        return () => { T value = default!; getter(ref value); return convert(value); };
    }

    // Keys are 1-based (0 = missing); their names come from the KeyValues annotation when the model kept it.
    static Func<object?> Key(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        string[]? names = null;
        if (column.Annotations.Schema.GetColumnOrNull("KeyValues") is not null)
        {
            VBuffer<ReadOnlyMemory<char>> values = default;
            column.GetKeyValues(ref values);
            names = values.DenseValues().Select(v => v.ToString()).ToArray();
        }
        var getter = cursor.GetGetter<uint>(column);
        return () =>
        {
            uint key = 0;
            getter(ref key);
            return key == 0 ? null : names is not null && key <= names.Length ? names[key - 1] : key;
        };
    }
}
