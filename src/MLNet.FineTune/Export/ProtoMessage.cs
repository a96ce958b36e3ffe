using Google.Protobuf;

namespace MLNet.FineTune.Export;

/// <summary>
/// A protobuf message being written: a list of parts (small encoded chunks, nested messages, borrowed byte blocks) whose
/// length is known without encoding it twice. Nested messages and tensor bytes are never copied into their parents:
/// <see cref="WriteTo"/> streams every part once, so exporting a 90 MB encoder holds its weights once, not once per
/// nesting level (tensor → graph → model). Written over Google.Protobuf's <see cref="CodedOutputStream"/> by field
/// number, as <c>Modeling/Onnx/OnnxReader</c> reads them: no generated code for the dozen ONNX messages we write.
/// </summary>
internal sealed class ProtoMessage
{
    readonly List<object> parts = []; // byte[] (encoded chunk), ProtoMessage, ReadOnlyMemory<byte> (borrowed payload)
    MemoryStream? chunk;
    CodedOutputStream? output;

    public long Length { get; private set; }

    CodedOutputStream Output()
    {
        if (output is not null) return output;
        chunk = new MemoryStream();
        return output = new CodedOutputStream(chunk, leaveOpen: true);
    }

    void CloseChunk()
    {
        if (output is null) return;
        output.Flush();
        output.Dispose();
        parts.Add(chunk!.ToArray());
        Length += chunk.Length;
        chunk.Dispose();
        output = null; chunk = null;
    }

    void Tag(int field, WireFormat.WireType type) => Output().WriteTag(field, type);

    public ProtoMessage Int64(int field, long value) { Tag(field, WireFormat.WireType.Varint); Output().WriteInt64(value); return this; }

    public ProtoMessage Int32(int field, int value) { Tag(field, WireFormat.WireType.Varint); Output().WriteInt32(value); return this; }

    public ProtoMessage Float(int field, float value) { Tag(field, WireFormat.WireType.Fixed32); Output().WriteFloat(value); return this; }

    public ProtoMessage String(int field, string value) { Tag(field, WireFormat.WireType.LengthDelimited); Output().WriteString(value); return this; }

    /// <summary>A repeated int64 field, packed (one length-delimited run), as proto3 writes it.</summary>
    public ProtoMessage PackedInt64(int field, IReadOnlyCollection<long> values)
    {
        if (values.Count == 0) return this;
        Tag(field, WireFormat.WireType.LengthDelimited);
        Output().WriteLength(values.Sum(CodedOutputStream.ComputeInt64Size));
        foreach (var v in values) Output().WriteInt64(v);
        return this;
    }

    /// <summary>A bytes field whose payload is written from <paramref name="payload"/> as is (not copied here).</summary>
    public ProtoMessage Bytes(int field, ReadOnlyMemory<byte> payload)
    {
        Tag(field, WireFormat.WireType.LengthDelimited);
        Output().WriteLength(payload.Length);
        CloseChunk();
        parts.Add(payload);
        Length += payload.Length;
        return this;
    }

    /// <summary>A sub-message field. The child must be complete: its length is written now.</summary>
    public ProtoMessage Message(int field, ProtoMessage child)
    {
        child.CloseChunk();
        Tag(field, WireFormat.WireType.LengthDelimited);
        Output().WriteLength(checked((int)child.Length));
        CloseChunk();
        parts.Add(child);
        Length += child.Length;
        return this;
    }

    public void WriteTo(Stream stream)
    {
        CloseChunk();
        foreach (var part in parts)
            switch (part)
            {
                case byte[] bytes: stream.Write(bytes); break;
                case ReadOnlyMemory<byte> memory: stream.Write(memory.Span); break;
                case ProtoMessage message: message.WriteTo(stream); break;
            }
    }

    public byte[] ToArray()
    {
        using var memory = new MemoryStream();
        WriteTo(memory);
        return memory.ToArray();
    }
}
