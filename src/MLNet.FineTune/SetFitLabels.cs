using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Data;

namespace MLNet.FineTune;

/// <summary>
/// SetFit's labels as class ids (only equality matters for pair sampling; ML.NET's MapValueToKey assigns the model's
/// own class order). A missing label would silently become a class of its own or be dropped by ML.NET, so it is refused.
/// </summary>
internal static class SetFitLabels
{
    public static bool IsSupported(DataViewType type) => type is TextDataViewType or BooleanDataViewType or KeyDataViewType
        || type == NumberDataViewType.Single || type == NumberDataViewType.Double || type == NumberDataViewType.Int32 || type == NumberDataViewType.Int64;

    public static int[] ClassIds(IDataView data, string column)
    {
        var values = DataViewColumns.ReadAny(data, column);
        if (values.Count == 0) throw new InvalidOperationException($"SetFit: the training data has no rows; give a few labelled texts (label column '{column}').");
        var ids = new Dictionary<object, int>();
        var classes = new int[values.Count];
        for (int r = 0; r < values.Count; r++)
        {
            var value = values[r];
            string? missing = value switch
            {
                string s when s.Length == 0 => "is empty (ML.NET's missing text)",
                uint k when k == 0 => "is key 0 (ML.NET's missing key)",
                float f when !float.IsFinite(f) => $"is {f} (NaN is ML.NET's missing value; infinities are no class)",
                double d when !double.IsFinite(d) => $"is {d} (NaN is ML.NET's missing value; infinities are no class)",
                null => "is missing",
                _ => null,
            };
            if (missing is not null)
                throw new InvalidDataException($"SetFit: label column '{column}', row index {r}: the label {missing}. Drop or fill such rows before training.");
            if (!ids.TryGetValue(value!, out var id)) ids[value!] = id = ids.Count;
            classes[r] = id;
        }
        return classes;
    }
}
