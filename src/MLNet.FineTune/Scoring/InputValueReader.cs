using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Scoring;

/// <summary>
/// Reads one input column of the current row as an object a scorer may keep: text as <see cref="string"/>, vectors as
/// a fresh <see cref="VBuffer{T}"/> (ML.NET getters reuse their buffers), anything else boxed as it is.
/// </summary>
internal static class InputValueReader
{
    public static Func<object?> Create(DataViewRow row, DataViewSchema.Column column)
    {
        var type = column.Type.RawType;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(VBuffer<>))
            return (Func<object?>)typeof(InputValueReader).GetMethod(nameof(Vector), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(type.GetGenericArguments()[0]).Invoke(null, [row, column])!;
        if (type == typeof(ReadOnlyMemory<char>))
        {
            var getText = row.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> text = default;
            return () => { getText(ref text); return text.ToString(); };
        }
        return (Func<object?>)typeof(InputValueReader).GetMethod(nameof(Scalar), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(type).Invoke(null, [row, column])!;
    }

    static Func<object?> Vector<T>(DataViewRow row, DataViewSchema.Column column)
    {
        var get = row.GetGetter<VBuffer<T>>(column);
        VBuffer<T> buffer = default;
        return () => { get(ref buffer); VBuffer<T> copy = default; buffer.CopyTo(ref copy); return copy; };
    }

    static Func<object?> Scalar<T>(DataViewRow row, DataViewSchema.Column column)
    {
        var get = row.GetGetter<T>(column);
        T value = default!;
        return () => { get(ref value); return value; };
    }

    /// <summary>Whether two values read by this class are equal (vectors: same length and values).</summary>
    public static bool Same(object? a, object? b) => (a, b) switch
    {
        (VBuffer<float> x, VBuffer<float> y) => x.Length == y.Length && x.DenseValues().SequenceEqual(y.DenseValues()),
        (VBuffer<int> x, VBuffer<int> y) => x.Length == y.Length && x.DenseValues().SequenceEqual(y.DenseValues()),
        (VBuffer<ReadOnlyMemory<char>> x, VBuffer<ReadOnlyMemory<char>> y) => x.Length == y.Length
            && x.DenseValues().Select(v => v.ToString()).SequenceEqual(y.DenseValues().Select(v => v.ToString())),
        _ => Equals(a, b),
    };
}
