using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Data;

/// <summary>Reads whole columns out of an IDataView (training data is small next to the model), and checks column types.</summary>
internal static class DataViewColumns
{
    public static DataViewSchema.Column Require(DataViewSchema schema, string name, string role)
    {
        var column = schema.GetColumnOrNull(name);
        if (column is null)
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' not found in the input data (columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}).");
        return column.Value;
    }

    public static void RequireText(DataViewSchema schema, string name, string role)
    {
        var column = Require(schema, name, role);
        if (column.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has type {column.Type}; expected String (TextDataViewType).");
    }

    public static List<string> ReadText(IDataView data, string name)
    {
        var column = data.Schema[name];
        var values = new List<string>();
        using var cursor = data.GetRowCursor(new[] { column });
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext()) { getter(ref value); values.Add(value.ToString()); }
        return values;
    }

    /// <summary>Each value as its natural .NET type: string, bool, uint (key), float, double, int, long, or string[] (text vectors).</summary>
    public static List<object?> ReadAny(IDataView data, string name)
    {
        var column = data.Schema[name];
        using var cursor = data.GetRowCursor(new[] { column });
        var read = column.Type switch
        {
            TextDataViewType => Reader<ReadOnlyMemory<char>>(cursor, column, v => v.ToString()),
            BooleanDataViewType => Reader<bool>(cursor, column, v => v),
            KeyDataViewType => Reader<uint>(cursor, column, v => v),
            VectorDataViewType { ItemType: TextDataViewType } => Reader<VBuffer<ReadOnlyMemory<char>>>(cursor, column, v => v.DenseValues().Select(x => x.ToString()).ToArray()),
            _ when column.Type == NumberDataViewType.Single => Reader<float>(cursor, column, v => v),
            _ when column.Type == NumberDataViewType.Double => Reader<double>(cursor, column, v => v),
            _ when column.Type == NumberDataViewType.Int32 => Reader<int>(cursor, column, v => v),
            _ when column.Type == NumberDataViewType.Int64 => Reader<long>(cursor, column, v => v),
            _ => throw new ArgumentOutOfRangeException(name, $"Column '{name}' has type {column.Type}, which FineTune cannot read as a label."),
        };
        var values = new List<object?>();
        while (cursor.MoveNext()) values.Add(read());
        return values;
    }

    static Func<object?> Reader<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, object?> convert)
    {
        var getter = cursor.GetGetter<T>(column);
        T value = default!;
        return () => { getter(ref value); return convert(value); };
    }
}
