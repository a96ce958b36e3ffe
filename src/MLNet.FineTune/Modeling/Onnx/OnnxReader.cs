using Google.Protobuf;
using MLNet.FineTune.Modeling.Checkpoints;
using WireType = Google.Protobuf.WireFormat.WireType;

namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>
/// Reads the subset of ONNX's protobuf messages the import needs, by field number (onnx/onnx.proto), over Google.Protobuf's
/// <see cref="CodedInputStream"/>. Hand-written rather than generated: a dozen fields of five messages, no generated
/// code to maintain, and every length-delimited field (sub-messages, raw tensor bytes) is read as a slice of the one file
/// buffer, so a 90 MB model is not copied once per nesting level. Unknown fields are skipped, as protobuf requires.
/// </summary>
internal static class OnnxReader
{
    public static OnnxModel Read(byte[] bytes, string source)
    {
        try
        {
            var model = ReadModel(new Reader(bytes, source), 0, bytes.Length);
            if (model.Graph is null || model.IrVersion <= 0)
                throw new CheckpointException($"{source}: not an ONNX model (no ir_version or no graph in {bytes.Length:N0} bytes).");
            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new CheckpointException($"{source}: not a readable ONNX model: the protobuf data is truncated or corrupt ({e.Message}).", e);
        }
    }

    /// <summary>One file's buffer: each message is read by a <see cref="CodedInputStream"/> over its own slice of it.</summary>
    sealed record Reader(byte[] Buffer, string Source)
    {
        public CodedInputStream Open(int offset, int length) => new(Buffer, offset, length);

        /// <summary>The payload of the length-delimited field whose tag was just read, as (offset, length); the stream moves past it.</summary>
        public (int Offset, int Length) Slice(CodedInputStream input)
        {
            int start = checked((int)input.Position); // absolute: every stream reads the one buffer
            var peek = new CodedInputStream(Buffer, start, Buffer.Length - start);
            int length = peek.ReadLength();
            int payload = checked((int)peek.Position);
            input.SkipLastField(); // checks the payload lies inside the enclosing message (else TruncatedMessage)
            return (payload, length);
        }

        public CodedInputStream Sub(CodedInputStream input) { var (o, l) = Slice(input); return Open(o, l); }
    }

    static OnnxModel ReadModel(Reader r, int offset, int length)
    {
        var input = r.Open(offset, length);
        long ir = 0; string producer = "", version = ""; OnnxGraph? graph = null;
        var opsets = new Dictionary<string, long>();
        for (uint tag; (tag = input.ReadTag()) != 0;)
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ir = input.ReadInt64(); break;
                case 2: producer = input.ReadString(); break;
                case 3: version = input.ReadString(); break;
                case 7: graph = ReadGraph(r, r.Sub(input)); break;
                case 8:
                    var opset = r.Sub(input); string domain = ""; long v = 0;
                    for (uint t; (t = opset.ReadTag()) != 0;)
                        if (WireFormat.GetTagFieldNumber(t) == 1) domain = opset.ReadString();
                        else if (WireFormat.GetTagFieldNumber(t) == 2) v = opset.ReadInt64();
                        else opset.SkipLastField();
                    opsets[domain] = v;
                    break;
                default: input.SkipLastField(); break;
            }
        return new OnnxModel(ir, (producer + " " + version).Trim(), opsets, graph!);
    }

    static OnnxGraph ReadGraph(Reader r, CodedInputStream input)
    {
        List<OnnxNode> nodes = []; List<OnnxTensor> initializers = []; List<string> inputs = [], outputs = [];
        for (uint tag; (tag = input.ReadTag()) != 0;)
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: nodes.Add(ReadNode(r, r.Sub(input))); break;
                case 5: initializers.Add(ReadTensor(r, r.Sub(input))); break;
                case 11: inputs.Add(ReadValueInfoName(r.Sub(input))); break;
                case 12: outputs.Add(ReadValueInfoName(r.Sub(input))); break;
                case 15: throw new CheckpointException($"{r.Source}: the graph has sparse initializers, which the ONNX import does not read (export with dense weights).");
                default: input.SkipLastField(); break;
            }
        return new OnnxGraph(nodes, initializers, inputs, outputs);
    }

    static string ReadValueInfoName(CodedInputStream input)
    {
        string name = "";
        for (uint tag; (tag = input.ReadTag()) != 0;)
            if (WireFormat.GetTagFieldNumber(tag) == 1) name = input.ReadString();
            else input.SkipLastField();
        return name;
    }

    static OnnxNode ReadNode(Reader r, CodedInputStream input)
    {
        List<string> inputs = [], outputs = []; string name = "", op = "", domain = "";
        var attributes = new Dictionary<string, OnnxAttribute>();
        for (uint tag; (tag = input.ReadTag()) != 0;)
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: inputs.Add(input.ReadString()); break;
                case 2: outputs.Add(input.ReadString()); break;
                case 3: name = input.ReadString(); break;
                case 4: op = input.ReadString(); break;
                case 5: var a = ReadAttribute(r, r.Sub(input)); attributes[a.Name] = a; break;
                case 7: domain = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        return new OnnxNode(name, op, domain, inputs, outputs, attributes);
    }

    static OnnxAttribute ReadAttribute(Reader r, CodedInputStream input)
    {
        string name = ""; int type = 0; float f = 0; long i = 0; OnnxTensor? t = null;
        List<long> ints = []; List<float> floats = [];
        for (uint tag; (tag = input.ReadTag()) != 0;)
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: name = input.ReadString(); break;
                case 20: type = input.ReadInt32(); break;
                case 2: f = input.ReadFloat(); break;
                case 3: i = input.ReadInt64(); break;
                case 5: t = ReadTensor(r, r.Sub(input)); break;
                case 7: Repeated(r, input, tag, floats, s => s.ReadFloat()); break;
                case 8: Repeated(r, input, tag, ints, s => s.ReadInt64()); break;
                default: input.SkipLastField(); break;
            }
        return new OnnxAttribute(name, type, f, i, [.. ints], [.. floats], t);
    }

    static OnnxTensor ReadTensor(Reader r, CodedInputStream input)
    {
        List<long> dims = [], int64 = []; List<float> floats = []; List<int> int32 = [];
        string name = ""; int dataType = 0; ReadOnlyMemory<byte>? raw = null; bool external = false;
        for (uint tag; (tag = input.ReadTag()) != 0;)
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: Repeated(r, input, tag, dims, s => s.ReadInt64()); break;
                case 2: dataType = input.ReadInt32(); break;
                case 4: Repeated(r, input, tag, floats, s => s.ReadFloat()); break;
                case 5: Repeated(r, input, tag, int32, s => s.ReadInt32()); break;
                case 7: Repeated(r, input, tag, int64, s => s.ReadInt64()); break;
                case 8: name = input.ReadString(); break;
                case 9: var (o, l) = r.Slice(input); raw = new ReadOnlyMemory<byte>(r.Buffer, o, l); break;
                case 13: external = true; input.SkipLastField(); break;        // external_data entries (location, offset, …)
                case 14: external |= input.ReadInt32() == 1; break;            // data_location: 1 = EXTERNAL
                default: input.SkipLastField(); break;
            }
        // The weights would live in another file beside the .onnx; reading it means trusting paths from the model and
        // a second file the folder's hash does not cover. Models under 2 GB never need it.
        if (external)
            throw new CheckpointException($"{r.Source}: tensor '{name}' stores its data outside the .onnx file (external data). " +
                "The ONNX import reads self-contained models only; save it with all tensors inside the file " +
                "(onnx.save_model(model, path, save_as_external_data=False)).");
        return new OnnxTensor(name, [.. dims], (OnnxDataType)dataType, raw, [.. floats], [.. int64], [.. int32]);
    }

    /// <summary>A repeated scalar field, packed (one length-delimited run) or not (one tag per value): writers use both.</summary>
    static void Repeated<T>(Reader r, CodedInputStream input, uint tag, List<T> into, Func<CodedInputStream, T> read)
    {
        if (WireFormat.GetTagWireType(tag) != WireType.LengthDelimited) { into.Add(read(input)); return; }
        var packed = r.Sub(input);
        while (!packed.IsAtEnd) into.Add(read(packed));
    }
}
