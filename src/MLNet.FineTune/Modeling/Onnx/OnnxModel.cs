using System.Runtime.InteropServices;

namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>
/// The subset of an ONNX <c>ModelProto</c> the encoder import reads (onnx/onnx.proto): opsets, producer, and the
/// graph's nodes, initializers, inputs and outputs. Immutable records, so tests can build altered graphs with <c>with</c>.
/// </summary>
internal sealed record OnnxModel(long IrVersion, string Producer, IReadOnlyDictionary<string, long> Opsets, OnnxGraph Graph)
{
    /// <summary>Opset of the default (ai.onnx) domain, 0 when none is declared.</summary>
    public long DefaultOpset => Opsets.TryGetValue("", out var v) ? v : Opsets.TryGetValue("ai.onnx", out v) ? v : 0;
}

internal sealed record OnnxGraph(IReadOnlyList<OnnxNode> Nodes, IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

internal sealed record OnnxNode(string Name, string OpType, string Domain, IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    /// <summary>"Add 'Add_123'" for messages (nodes may be unnamed).</summary>
    public string Describe() => Name.Length > 0 ? $"{OpType} '{Name}'" : $"{OpType} (unnamed, output '{Outputs.FirstOrDefault()}')";

    public long? Int(string name) => Attributes.TryGetValue(name, out var a) ? a.I : null;
    public float? Float(string name) => Attributes.TryGetValue(name, out var a) ? a.F : null;
    public long[]? Ints(string name) => Attributes.TryGetValue(name, out var a) ? a.Ints : null;
}

/// <summary>AttributeProto: only the scalar, list and tensor kinds (graphs and strings are not needed).</summary>
internal sealed record OnnxAttribute(string Name, int Type, float F, long I, long[] Ints, float[] Floats, OnnxTensor? T);

/// <summary>TensorProto element types (TensorProto.DataType) the import names in messages.</summary>
internal enum OnnxDataType
{
    Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9,
    Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13, Complex64 = 14, Complex128 = 15, BFloat16 = 16,
}

/// <summary>
/// A TensorProto: data either in <see cref="Raw"/> (little-endian bytes, a slice of the file's buffer, not a copy) or in
/// a typed field.
/// </summary>
internal sealed record OnnxTensor(string Name, long[] Dims, OnnxDataType DataType, ReadOnlyMemory<byte>? Raw, float[] FloatData, long[] Int64Data, int[] Int32Data)
{
    public long ElementCount => Dims.Aggregate(1L, (a, d) => checked(a * d));

    public string ShapeText => "[" + string.Join(",", Dims) + "]";

    /// <summary>The values of a float tensor (raw_data or float_data), checked against the shape.</summary>
    public float[] Floats()
    {
        if (DataType != OnnxDataType.Float) throw new InvalidDataException($"tensor '{Name}' is {DataType}, not float.");
        var values = Raw is not null ? MemoryMarshal.Cast<byte, float>(Raw.Value.Span).ToArray() : FloatData;
        return CheckCount(values);
    }

    /// <summary>The values of an integer tensor (int64 or int32, raw or typed), widened to long.</summary>
    public long[] Longs()
    {
        long[] values = (DataType, Raw) switch
        {
            (OnnxDataType.Int64, { } raw) => MemoryMarshal.Cast<byte, long>(raw.Span).ToArray(),
            (OnnxDataType.Int64, null) => Int64Data,
            (OnnxDataType.Int32, { } raw) => MemoryMarshal.Cast<byte, int>(raw.Span).ToArray().Select(i => (long)i).ToArray(),
            (OnnxDataType.Int32, null) => Int32Data.Select(i => (long)i).ToArray(),
            _ => throw new InvalidDataException($"tensor '{Name}' is {DataType}, not an integer tensor."),
        };
        return CheckCount(values);
    }

    /// <summary>A scalar (or one-element) float or integer constant as a double.</summary>
    public double? Scalar() => ElementCount != 1 ? null : DataType switch
    {
        OnnxDataType.Float => Floats()[0],
        OnnxDataType.Double when Raw is { } raw => MemoryMarshal.Cast<byte, double>(raw.Span)[0],
        OnnxDataType.Int64 or OnnxDataType.Int32 => Longs()[0],
        _ => null,
    };

    T[] CheckCount<T>(T[] values) => values.LongLength == ElementCount ? values
        : throw new InvalidDataException($"tensor '{Name}' has shape {ShapeText} ({ElementCount} values) but holds {values.LongLength} (truncated or corrupt).");
}
