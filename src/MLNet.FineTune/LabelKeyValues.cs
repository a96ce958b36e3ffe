using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune;

/// <summary>
/// A key column's <c>KeyValues</c> (the labels MapValueToKey saw), kept as invariant-culture strings plus their type so
/// that a model can save them and give a predicted key the same values back (MapKeyToValue then restores the label's
/// own type: text, Boolean or a number).
/// </summary>
internal sealed record LabelKeyValues(string ItemType, string[] Values)
{
    const string KeyValuesKind = "KeyValues";

    static readonly Dictionary<string, PrimitiveDataViewType> Types = new()
    {
        ["Text"] = TextDataViewType.Instance, ["Boolean"] = BooleanDataViewType.Instance,
        ["Single"] = NumberDataViewType.Single, ["Double"] = NumberDataViewType.Double,
        ["Int32"] = NumberDataViewType.Int32, ["Int64"] = NumberDataViewType.Int64, ["UInt32"] = NumberDataViewType.UInt32,
    };

    /// <summary>The column's key values, or null when it has none (a key column made without MapValueToKey).</summary>
    public static LabelKeyValues? Read(DataViewSchema.Column column)
    {
        if (column.Annotations.Schema.GetColumnOrNull(KeyValuesKind) is not { } annotation) return null;
        var itemType = annotation.Type.GetItemType();
        var name = Types.FirstOrDefault(t => t.Value.Equals(itemType)).Key
            ?? throw new NotSupportedException($"Label column '{column.Name}' has key values of type {itemType}; expected text, Boolean or a number.");
        return name switch
        {
            "Text" => new(name, Get<ReadOnlyMemory<char>>(column).Select(v => v.ToString()).ToArray()),
            "Boolean" => new(name, Get<bool>(column).Select(v => v ? "true" : "false").ToArray()),
            "Single" => new(name, Get<float>(column).Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray()),
            "Double" => new(name, Get<double>(column).Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray()),
            "Int32" => new(name, Get<int>(column).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray()),
            "Int64" => new(name, Get<long>(column).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray()),
            _ => new(name, Get<uint>(column).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray()),
        };
    }

    static T[] Get<T>(DataViewSchema.Column column)
    {
        VBuffer<T> values = default;
        column.Annotations.GetValue(KeyValuesKind, ref values);
        return values.DenseValues().ToArray();
    }

    /// <summary>Checks a saved instance; errors name the model zip entry.</summary>
    public void Check(int classes, string entry)
    {
        if (!Types.ContainsKey(ItemType)) throw new Persistence.ModelPayloadException($"{entry}: key value type '{ItemType}' is not one of {string.Join(", ", Types.Keys)}.");
        if (Values is null || Values.Length != classes) throw new Persistence.ModelPayloadException($"{entry}: {Values?.Length ?? 0} key values for {classes} classes.");
    }

    /// <summary>The <c>KeyValues</c> annotation with the original types.</summary>
    public DataViewSchema.Annotations ToAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        switch (ItemType)
        {
            case "Text": Add(builder, TextDataViewType.Instance, Values.Select(v => v.AsMemory())); break;
            case "Boolean": Add(builder, BooleanDataViewType.Instance, Values.Select(v => v == "true")); break;
            case "Single": Add(builder, NumberDataViewType.Single, Values.Select(v => float.Parse(v, CultureInfo.InvariantCulture))); break;
            case "Double": Add(builder, NumberDataViewType.Double, Values.Select(v => double.Parse(v, CultureInfo.InvariantCulture))); break;
            case "Int32": Add(builder, NumberDataViewType.Int32, Values.Select(v => int.Parse(v, CultureInfo.InvariantCulture))); break;
            case "Int64": Add(builder, NumberDataViewType.Int64, Values.Select(v => long.Parse(v, CultureInfo.InvariantCulture))); break;
            default: Add(builder, NumberDataViewType.UInt32, Values.Select(v => uint.Parse(v, CultureInfo.InvariantCulture))); break;
        }
        return builder.ToAnnotations();
    }

    static void Add<T>(DataViewSchema.Annotations.Builder builder, PrimitiveDataViewType type, IEnumerable<T> values)
    {
        var array = values.ToArray();
        var buffer = new VBuffer<T>(array.Length, array);
        ValueGetter<VBuffer<T>> get = (ref VBuffer<T> v) => buffer.CopyTo(ref v);
        builder.Add(KeyValuesKind, new VectorDataViewType(type, buffer.Length), get);
    }
}
