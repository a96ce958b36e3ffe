namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>A linear layer in a graph: <c>MatMul(x, W) + b</c> (W stored [in, out]) or <c>Gemm(x, W, b)</c>; BiasNode adds b.</summary>
internal sealed record OnnxLinear(OnnxNode Node, OnnxTensor Weight, bool StoredInOut, OnnxTensor Bias, OnnxNode BiasNode, string Output)
{
    public long In => StoredInOut ? Weight.Dims[0] : Weight.Dims[1];
    public long Out => StoredInOut ? Weight.Dims[1] : Weight.Dims[0];
}

/// <summary>A LayerNorm over the last axis: one <c>LayerNormalization</c> node (opset 17) or its decomposition.</summary>
internal sealed record OnnxLayerNorm(OnnxNode Node, OnnxTensor Weight, OnnxTensor Bias, double Epsilon, string Output);

/// <summary>Where a value goes through head splitting (Reshape, Transpose, scalar scaling) until an attention MatMul.</summary>
internal sealed record AttentionPath(OnnxNode MatMul, int Input, int[] Perm, double Scale, string? ReshapeTarget);

/// <summary>The few subgraph shapes a BERT export is made of, matched on structure only (never on names).</summary>
internal static class OnnxPatterns
{
    public static OnnxLinear? Linear(OnnxGraphIndex g, OnnxNode node, string x)
    {
        if (node.OpType == "Gemm")
        {
            if (node.Inputs.Count < 3 || node.Inputs[0] != x || (node.Int("transA") ?? 0) != 0 || (node.Float("alpha") ?? 1) != 1 || (node.Float("beta") ?? 1) != 1) return null;
            var (w, b) = (g.FloatInitializer(node.Inputs[1], 2), g.FloatInitializer(node.Inputs[2], 1));
            return w is null || b is null ? null : Checked(new OnnxLinear(node, w, (node.Int("transB") ?? 0) == 0, b, node, node.Outputs[0]));
        }
        if (node.OpType != "MatMul" || node.Inputs[0] != x) return null;
        var (weight, inOut) = Weight(g, node.Inputs[1]);
        // torch exports nn.Linear on 3-D input as MatMul followed by Add(bias, product) — either operand order.
        if (weight is null || Single(g, node.Outputs[0], "Add") is not { } add) return null;
        var bias = g.FloatInitializer(Other(add, node.Outputs[0]), 1);
        return bias is null ? null : Checked(new OnnxLinear(node, weight, inOut, bias, add, add.Outputs[0]));
    }

    static OnnxLinear? Checked(OnnxLinear l) => l.Bias.Dims[0] == l.Out ? l : null;

    // The right side of MatMul: an initializer stored [in, out], or a Transpose of one stored [out, in] (unfolded exports).
    static (OnnxTensor?, bool InOut) Weight(OnnxGraphIndex g, string value)
    {
        if (g.FloatInitializer(value, 2) is { } w) return (w, true);
        if (g.Producer(value) is { OpType: "Transpose" } t && t.Ints("perm") is null or [1, 0] && g.FloatInitializer(t.Inputs[0], 2) is { } stored)
            return (stored, false);
        return (null, false);
    }

    public static OnnxLayerNorm? LayerNorm(OnnxGraphIndex g, string x)
    {
        var readers = g.Readers(x);
        if (readers.FirstOrDefault(r => r.Node.OpType == "LayerNormalization" && r.Input == 0).Node is { } ln)
        {
            if ((ln.Int("axis") ?? -1) != -1 || ln.Inputs.Count < 3) return null;
            var (w, b) = (g.FloatInitializer(ln.Inputs[1], 1), g.FloatInitializer(ln.Inputs[2], 1));
            return w is null || b is null ? null : new OnnxLayerNorm(ln, w, b, ln.Float("epsilon") ?? 1e-5, ln.Outputs[0]);
        }
        // Decomposed (opset < 17): ((x − mean(x)) / sqrt(mean((x − mean(x))²) + eps)) · weight + bias.
        var mean = readers.FirstOrDefault(r => r.Node.OpType == "ReduceMean" && LastAxis(r.Node)).Node;
        var sub = mean is null ? null : readers.FirstOrDefault(r => r.Node.OpType == "Sub" && r.Input == 0 && r.Node.Inputs[1] == mean.Outputs[0]).Node;
        if (sub is null) return null;
        var centered = g.Readers(sub.Outputs[0]);
        var square = centered.FirstOrDefault(r => r.Node.OpType == "Pow" && g.Scalar(r.Node.Inputs[1]) == 2
            || r.Node.OpType == "Mul" && r.Node.Inputs[0] == r.Node.Inputs[1]).Node;
        var div = centered.FirstOrDefault(r => r.Node.OpType == "Div" && r.Input == 0).Node;
        var variance = square is null ? null : Single(g, square.Outputs[0], "ReduceMean");
        var addEps = variance is null || !LastAxis(variance) ? null : Single(g, variance.Outputs[0], "Add");
        var sqrt = addEps is null ? null : Single(g, addEps.Outputs[0], "Sqrt");
        if (div is null || sqrt is null || div.Inputs[1] != sqrt.Outputs[0]) return null;
        double? eps = g.Scalar(Other(addEps!, variance!.Outputs[0]));
        var mul = Single(g, div.Outputs[0], "Mul");
        var weight = mul is null ? null : g.FloatInitializer(Other(mul, div.Outputs[0]), 1);
        var add = mul is null ? null : Single(g, mul.Outputs[0], "Add");
        var bias = add is null ? null : g.FloatInitializer(Other(add, mul!.Outputs[0]), 1);
        return eps is null || weight is null || bias is null ? null : new OnnxLayerNorm(add!, weight, bias, eps.Value, add!.Outputs[0]);
    }

    static bool LastAxis(OnnxNode reduceMean) => reduceMean.Ints("axes") is null or [-1] or [2];

    /// <summary>
    /// Follows a value through the head split (Reshape, Transpose, Cast, scalar Mul/Div) to the attention MatMul that
    /// reads it. <see cref="AttentionPath.Perm"/> is the composed permutation after the last Reshape (identity = [B, T, heads, D]).
    /// </summary>
    public static AttentionPath? FollowToAttention(OnnxGraphIndex g, string value)
    {
        int[] perm = [0, 1, 2, 3];
        double scale = 1;
        string? target = null;
        for (int guard = 0; guard < 16; guard++)
        {
            if (g.Readers(value) is not [var (node, input)]) return null;
            switch (node.OpType)
            {
                case "Reshape" when input == 0: target = node.Inputs[1]; perm = [0, 1, 2, 3]; break;
                case "Transpose" when node.Ints("perm") is { Length: 4 } p: perm = p.Select(i => perm[i]).ToArray(); break;
                case "Cast" or "Identity": break;
                case "Mul" when g.Scalar(Other(node, value)) is double s: scale *= s; break;
                case "Div" when input == 0 && g.Scalar(node.Inputs[1]) is double s: scale /= s; break;
                case "MatMul" when g.Constant(Other(node, value)) is null: return new AttentionPath(node, input, perm, scale, target);
                default: return null;
            }
            value = node.Outputs[0];
        }
        return null;
    }

    /// <summary>From the scores MatMul to the MatMul applying the probabilities: scaling, the additive mask, softmax.</summary>
    public static (OnnxNode? Context, double Scale, bool Softmax) FollowScores(OnnxGraphIndex g, string scores)
    {
        double scale = 1; bool softmax = false;
        for (int guard = 0; guard < 12; guard++)
        {
            if (g.Readers(scores) is not [var (node, input)]) return (null, scale, softmax);
            switch (node.OpType)
            {
                case "Mul" when g.Scalar(Other(node, scores)) is double s: scale *= s; break;
                case "Div" when input == 0 && g.Scalar(node.Inputs[1]) is double s: scale /= s; break;
                case "Add" or "Where" or "Cast" or "Identity" or "Dropout": break; // the mask (additive or masked_fill); inference-mode dropout
                case "Softmax" when node.Int("axis") is null or -1 or 3: softmax = true; break;
                case "MatMul" when input == 0: return (node, scale, softmax);
                default: return (null, scale, softmax);
            }
            scores = node.Outputs[0];
        }
        return (null, scale, softmax);
    }

    /// <summary>Past Transpose/Reshape/Cast to the first node doing arithmetic: (that node, the value it reads).</summary>
    public static (OnnxNode? Node, string Value) SkipViews(OnnxGraphIndex g, string value)
    {
        for (int guard = 0; guard < 8; guard++)
        {
            if (g.Readers(value) is not [var (node, input)]) return (null, value);
            if (node.OpType is not ("Transpose" or "Reshape" or "Cast" or "Identity") || input != 0) return (node, value);
            value = node.Outputs[0];
        }
        return (null, value);
    }

    /// <summary>
    /// The activation between the intermediate and output projections: every node reached from <paramref name="value"/>
    /// before a MatMul/Gemm with a weight, and that projection (null when there is not exactly one).
    /// </summary>
    public static (List<OnnxNode> Nodes, OnnxNode? Next, string NextInput) Activation(OnnxGraphIndex g, string value)
    {
        var nodes = new List<OnnxNode>();
        var next = new List<(OnnxNode, string)>();
        var frontier = new Queue<string>([value]);
        while (frontier.Count > 0 && nodes.Count < 24)
        {
            var v = frontier.Dequeue();
            foreach (var (node, input) in g.Readers(v))
            {
                if (node.OpType is "MatMul" or "Gemm" && input == 0 && g.Constant(node.Inputs[1]) is not null) { next.Add((node, v)); continue; }
                if (nodes.Contains(node)) continue;
                nodes.Add(node);
                frontier.Enqueue(node.Outputs[0]);
            }
        }
        var distinct = next.DistinctBy(n => n.Item1).ToList();
        return distinct is [var (n, i)] ? (nodes, n, i) : (nodes, null, "");
    }

    public static OnnxNode? Single(OnnxGraphIndex g, string value, string opType) =>
        g.Readers(value) is [var (node, _)] && node.OpType == opType ? node : null;

    public static string Other(OnnxNode binary, string known) => binary.Inputs[0] == known ? binary.Inputs[1] : binary.Inputs[0];
}
