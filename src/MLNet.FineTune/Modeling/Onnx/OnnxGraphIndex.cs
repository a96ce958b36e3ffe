using MLNet.FineTune.Modeling.Checkpoints;

namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>
/// Who produces and who reads each value of a graph, its initializers and its constants (initializers and
/// <c>Constant</c> nodes alike: torch 1.x exports shape constants as initializers, torch 2.x as Constant nodes).
/// </summary>
internal sealed class OnnxGraphIndex
{
    readonly Dictionary<string, OnnxNode> producers = new();
    readonly Dictionary<string, List<(OnnxNode Node, int Input)>> consumers = new();
    readonly Dictionary<string, OnnxTensor> initializers = new();

    public OnnxGraphIndex(OnnxModel model, string source)
    {
        Model = model; Source = source;
        foreach (var t in model.Graph.Initializers)
            if (!initializers.TryAdd(t.Name, t)) throw new CheckpointException($"{source}: two initializers are named '{t.Name}'.");
        foreach (var node in model.Graph.Nodes)
        {
            foreach (var output in node.Outputs.Where(o => o.Length > 0))
                if (!producers.TryAdd(output, node)) throw new CheckpointException($"{source}: value '{output}' is produced twice (not a valid ONNX graph).");
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                if (node.Inputs[i].Length == 0) continue; // an omitted optional input
                if (!consumers.TryGetValue(node.Inputs[i], out var list)) consumers[node.Inputs[i]] = list = new();
                list.Add((node, i));
            }
        }
    }

    public OnnxModel Model { get; }
    public string Source { get; }
    public IReadOnlyList<OnnxNode> Nodes => Model.Graph.Nodes;

    public OnnxNode? Producer(string value) => producers.GetValueOrDefault(value);

    /// <summary>Nodes reading <paramref name="value"/>, except <c>Shape</c> (it reads only the shape, never the data).</summary>
    public IReadOnlyList<(OnnxNode Node, int Input)> Readers(string value) =>
        consumers.TryGetValue(value, out var list) ? list.Where(c => c.Node.OpType != "Shape").ToList() : [];

    public OnnxTensor? Initializer(string value) => initializers.GetValueOrDefault(value);

    /// <summary>A float initializer of the given rank (a weight), or null.</summary>
    public OnnxTensor? FloatInitializer(string value, int rank) =>
        initializers.TryGetValue(value, out var t) && t.DataType == OnnxDataType.Float && t.Dims.Length == rank ? t : null;

    /// <summary>The value of an initializer or a Constant node's output (through Cast/Identity), or null.</summary>
    public OnnxTensor? Constant(string value)
    {
        if (initializers.TryGetValue(value, out var t)) return t;
        var node = Producer(value);
        if (node is { OpType: "Cast" or "Identity" }) return Constant(node.Inputs[0]);
        if (node is not { OpType: "Constant" }) return null;
        if (node.Attributes.TryGetValue("value", out var a) && a.T is { } tensor) return tensor;
        if (node.Attributes.TryGetValue("value_float", out a)) return new OnnxTensor(value, [], OnnxDataType.Float, null, [a.F], [], []);
        if (node.Attributes.TryGetValue("value_int", out a)) return new OnnxTensor(value, [], OnnxDataType.Int64, null, [], [a.I], []);
        if (node.Attributes.TryGetValue("value_ints", out a)) return new OnnxTensor(value, [a.Ints.Length], OnnxDataType.Int64, null, [], a.Ints, []);
        if (node.Attributes.TryGetValue("value_floats", out a)) return new OnnxTensor(value, [a.Floats.Length], OnnxDataType.Float, null, a.Floats, [], []);
        return null;
    }

    public double? Scalar(string value) => Constant(value)?.Scalar();

    /// <summary>
    /// A small int64 vector (a Reshape target) folded as far as constants go: Concat of Unsqueeze'd scalars and constant
    /// pieces; entries computed at run time (batch and sequence length from Shape) come back null.
    /// </summary>
    public long?[]? IntVector(string value, int depth = 0)
    {
        if (depth > 8) return null;
        if (Constant(value) is { DataType: OnnxDataType.Int64 or OnnxDataType.Int32 } c && c.ElementCount <= 64)
            return c.Longs().Select(v => (long?)v).ToArray();
        var node = Producer(value);
        switch (node?.OpType)
        {
            case "Concat":
                var parts = node.Inputs.Select(i => IntVector(i, depth + 1) ?? [null]).ToList();
                return parts.SelectMany(p => p).ToArray();
            case "Unsqueeze":
            case "Cast":
            case "Identity":
                return IntVector(node.Inputs[0], depth + 1) is { Length: 1 } one ? one : [null];
            default:
                return [null]; // one run-time value (Gather of a Shape, …)
        }
    }

    /// <summary>Follows Cast/Identity/Unsqueeze/Squeeze back from <paramref name="value"/> to where the data comes from.</summary>
    public string Origin(string value)
    {
        for (int guard = 0; guard < 16 && Producer(value) is { OpType: "Cast" or "Identity" or "Unsqueeze" or "Squeeze" } p; guard++)
            value = p.Inputs[0];
        return value;
    }

    /// <summary>Whether a node of the given op type lies upstream of <paramref name="value"/>, within <paramref name="depth"/> steps.</summary>
    public bool HasUpstream(string value, string opType, int depth = 12)
    {
        var frontier = new List<string> { value };
        var seen = new HashSet<string>();
        for (int step = 0; step <= depth && frontier.Count > 0; step++)
        {
            var nodes = frontier.Select(Producer).OfType<OnnxNode>().Where(n => seen.Add(n.Outputs[0])).ToList();
            if (nodes.Any(n => n.OpType == opType)) return true;
            frontier = nodes.SelectMany(n => n.Inputs).Where(i => i.Length > 0).ToList();
        }
        return false;
    }

    /// <summary>"Conv×3, Relu×2, …": what a graph is made of, for refusal messages.</summary>
    public string OpSummary() => string.Join(", ", Nodes.GroupBy(n => n.Domain.Length > 0 ? $"{n.Domain}.{n.OpType}" : n.OpType)
        .OrderByDescending(g => g.Count()).Take(16).Select(g => $"{g.Key}×{g.Count()}"));
}
