using Google.Protobuf;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Onnx;
using WireType = Google.Protobuf.WireFormat.WireType;

namespace MLNet.FineTune.Tests.Modeling.Onnx;

/// <summary>The protobuf reader on small hand-encoded models (field numbers from onnx/onnx.proto), and graphs that are not BERT.</summary>
[TestClass]
public class OnnxReaderTests
{
    // A protobuf message built field by field, as any ONNX writer lays it out.
    sealed class Message
    {
        readonly MemoryStream bytes = new();
        readonly CodedOutputStream output;
        public Message() => output = new CodedOutputStream(bytes);
        public Message Varint(int field, long value) { output.WriteTag(field, WireType.Varint); output.WriteInt64(value); return this; }
        public Message Fixed32(int field, float value) { output.WriteTag(field, WireType.Fixed32); output.WriteFloat(value); return this; }
        public Message Text(int field, string value) { output.WriteTag(field, WireType.LengthDelimited); output.WriteString(value); return this; }
        public Message Bytes(int field, byte[] value) { output.WriteTag(field, WireType.LengthDelimited); output.WriteBytes(ByteString.CopyFrom(value)); return this; }
        public Message Sub(int field, Message value) => Bytes(field, value.ToArray());
        public Message PackedFloats(int field, params float[] values) => Bytes(field, values.SelectMany(BitConverter.GetBytes).ToArray());
        public byte[] ToArray() { output.Flush(); return bytes.ToArray(); }
    }

    static byte[] Model(Message graph, long opset = 13) =>
        new Message().Varint(1, 8).Text(2, "hand").Sub(8, new Message().Text(1, "").Varint(2, opset)).Sub(7, graph).ToArray();

    [TestMethod]
    public void ReadsPackedAndUnpackedRepeatedFieldsRawDataAndAttributes()
    {
        var raw = new[] { 1f, 2f, 3f, 4f, 5f, 6f }.SelectMany(BitConverter.GetBytes).ToArray();
        var graph = new Message()
            .Sub(5, new Message().Varint(1, 2).Varint(1, 3).Varint(2, 1).Text(8, "w").Bytes(9, raw))          // dims unpacked, raw_data
            .Sub(5, new Message().Bytes(1, [2]).Varint(2, 1).PackedFloats(4, 7f, 8f).Text(8, "v"))           // dims packed, float_data packed
            .Sub(1, new Message().Text(1, "x").Text(1, "w").Text(2, "y").Text(3, "mm").Text(4, "MatMul")
                .Sub(5, new Message().Text(1, "perm").Varint(20, 7).Varint(8, 1).Varint(8, 0))                  // ints unpacked
                .Sub(5, new Message().Text(1, "alpha").Varint(20, 1).Fixed32(2, 0.5f)))
            .Sub(11, new Message().Text(1, "x")).Sub(12, new Message().Text(1, "y"));
        var model = OnnxReader.Read(Model(graph), "hand.onnx");
        Assert.AreEqual((8L, "hand", 13L), (model.IrVersion, model.Producer, model.DefaultOpset));
        var w = model.Graph.Initializers[0];
        CollectionAssert.AreEqual(new long[] { 2, 3 }, w.Dims);
        CollectionAssert.AreEqual(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, w.Floats());
        CollectionAssert.AreEqual(new[] { 7f, 8f }, model.Graph.Initializers[1].Floats());
        var node = model.Graph.Nodes.Single();
        Assert.AreEqual(("mm", "MatMul", "x,w", "y"), (node.Name, node.OpType, string.Join(",", node.Inputs), string.Join(",", node.Outputs)));
        CollectionAssert.AreEqual(new long[] { 1, 0 }, node.Ints("perm"));
        Assert.AreEqual(0.5f, node.Float("alpha"));
        CollectionAssert.AreEqual(new[] { "x" }, model.Graph.Inputs.ToList());
    }

    [TestMethod]
    public void ExternalDataIsRefusedNamingTheTensor()
    {
        var location = new Message().Text(1, "location").Text(2, "weights.bin");
        var tensor = new Message().Varint(1, 4).Varint(2, 1).Text(8, "encoder.weight").Sub(13, location).Varint(14, 1);
        var e = Assert.ThrowsExactly<CheckpointException>(() => OnnxReader.Read(Model(new Message().Sub(5, tensor)), "big.onnx"));
        StringAssert.Contains(e.Message, "big.onnx: tensor 'encoder.weight' stores its data outside the .onnx file (external data)");
        StringAssert.Contains(e.Message, "save_as_external_data=False");
    }

    [TestMethod]
    public void FilesThatAreNotOnnxAreRefused()
    {
        var text = System.Text.Encoding.UTF8.GetBytes("[PAD]\r\n[unused0]\r\n");
        StringAssert.Contains(Assert.ThrowsExactly<CheckpointException>(() => OnnxReader.Read(text, "vocab.txt")).Message, "vocab.txt: not");
        StringAssert.Contains(Assert.ThrowsExactly<CheckpointException>(() => OnnxReader.Read([], "empty.onnx")).Message,
            "empty.onnx: not an ONNX model (no ir_version or no graph in 0 bytes)");
        var cut = Model(new Message().Sub(5, new Message().Varint(1, 4).Varint(2, 1).Text(8, "w").Bytes(9, new byte[16])));
        StringAssert.Contains(Assert.ThrowsExactly<CheckpointException>(() => OnnxReader.Read(cut[..^6], "cut.onnx")).Message,
            "cut.onnx: not a readable ONNX model: the protobuf data is truncated or corrupt");
    }

    [TestMethod]
    public void AGraphThatIsNotBertIsRefusedNamingWhatItHas()
    {
        var convNet = new OnnxModel(8, "hand", new Dictionary<string, long> { [""] = 13 }, new OnnxGraph(
            [OnnxEdits.Node("Conv", "conv1", ["image", "kernel"], ["c"]), OnnxEdits.Node("Relu", "relu1", ["c"], ["r"]), OnnxEdits.Node("GlobalAveragePool", "pool", ["r"], ["out"])],
            [OnnxEdits.Floats("kernel", [8, 3, 3, 3], new float[216])], ["image"], ["out"]));
        var e = Assert.ThrowsExactly<CheckpointException>(() => OnnxEncoderImporter.Import(convNet, "resnet.onnx"));
        StringAssert.Contains(e.Message, "resnet.onnx: not a BERT encoder graph the ONNX import understands: no embedding lookup (a Gather on a float [rows, hidden] initializer). " +
            "The graph has: Conv×1, Relu×1, GlobalAveragePool×1.");
    }
}
