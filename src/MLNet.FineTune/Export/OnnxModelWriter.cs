namespace MLNet.FineTune.Export;

/// <summary>
/// Serializes an <see cref="OnnxGraphBuilder"/> graph as an ONNX <c>ModelProto</c> (field numbers from onnx/onnx.proto):
/// IR version 8 (the IR of opset 17), the default-domain opset import (plus com.microsoft version 1 when the graph uses
/// ONNX Runtime's contrib operators), the graph with typed inputs and outputs, and
/// <c>metadata_props</c>. Self-contained: every tensor is stored inside the file (no external data), so a model is
/// limited to protobuf's 2 GB.
/// </summary>
internal static class OnnxModelWriter
{
    public const long IrVersion = 8;
    public const long Opset = 17;
    const long MaxBytes = int.MaxValue - (64L << 20); // protobuf's 2 GB limit, with room for the graph itself

    public static ProtoMessage Model(OnnxGraphBuilder graph, string graphName, string producerVersion, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        if (graph.InitializerBytes > MaxBytes)
            throw new NotSupportedException($"ONNX export: the weights take {graph.InitializerBytes:N0} bytes; a self-contained ONNX file holds at most 2 GB " +
                "(external-data export is not supported).");
        var model = new ProtoMessage()
            .Int64(1, IrVersion)
            .String(2, "MLNet.FineTune")
            .String(3, producerVersion)
            .Message(8, new ProtoMessage().String(1, "").Int64(2, Opset));
        if (graph.Nodes.Any(n => n.Domain == OnnxGraphBuilder.MicrosoftDomain))
            model.Message(8, new ProtoMessage().String(1, OnnxGraphBuilder.MicrosoftDomain).Int64(2, 1));
        model.Message(7, Graph(graph, graphName));
        foreach (var (key, value) in metadata)
            model.Message(14, new ProtoMessage().String(1, key).String(2, value));
        return model;
    }

    static ProtoMessage Graph(OnnxGraphBuilder g, string name)
    {
        var graph = new ProtoMessage();
        foreach (var node in g.Nodes) graph.Message(1, Node(node));
        graph.String(2, name);
        foreach (var tensor in g.Initializers) graph.Message(5, Tensor(tensor));
        foreach (var input in g.Inputs) graph.Message(11, ValueInfo(input));
        foreach (var output in g.Outputs) graph.Message(12, ValueInfo(output));
        return graph;
    }

    static ProtoMessage Node(OnnxExportNode n)
    {
        var node = new ProtoMessage();
        foreach (var i in n.Inputs) node.String(1, i);
        foreach (var o in n.Outputs) node.String(2, o);
        node.String(3, n.Name).String(4, n.OpType);
        foreach (var (name, value) in n.Attributes) node.Message(5, Attribute(name, value));
        if (n.Domain.Length > 0) node.String(7, n.Domain);
        return node;
    }

    // AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, INTS 7.
    static ProtoMessage Attribute(string name, object value)
    {
        var a = new ProtoMessage().String(1, name);
        return value switch
        {
            float f => a.Float(2, f).Int32(20, 1),
            long i => a.Int64(3, i).Int32(20, 2),
            int i => a.Int64(3, i).Int32(20, 2),
            string s => a.Bytes(4, System.Text.Encoding.UTF8.GetBytes(s)).Int32(20, 3),
            OnnxTensorData t => a.Message(5, Tensor(t)).Int32(20, 4),
            long[] ints => a.PackedInt64(8, ints).Int32(20, 7),
            _ => throw new ArgumentException($"ONNX export: attribute '{name}' has unsupported type {value.GetType().Name}."),
        };
    }

    static ProtoMessage Tensor(OnnxTensorData t)
    {
        var tensor = new ProtoMessage().PackedInt64(1, t.Dims).Int32(2, (int)t.Element);
        if (t.Name.Length > 0) tensor.String(8, t.Name);
        return tensor.Bytes(9, t.Raw);
    }

    static ProtoMessage ValueInfo(OnnxValueInfo v)
    {
        var shape = new ProtoMessage();
        foreach (var d in v.Dims) shape.Message(1, d.Name is { } symbolic ? new ProtoMessage().String(2, symbolic) : new ProtoMessage().Int64(1, d.Size));
        var tensorType = new ProtoMessage().Int32(1, (int)v.Element).Message(2, shape);
        return new ProtoMessage().String(1, v.Name).Message(2, new ProtoMessage().Message(1, tensorType));
    }
}
