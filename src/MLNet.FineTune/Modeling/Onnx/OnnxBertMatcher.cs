using MLNet.FineTune.Modeling.Checkpoints;

namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>
/// Recovers a BERT encoder from a graph's structure: embeddings, then one block per triple of projections reading the
/// running hidden state, then an optional pooler. Roles come from the data flow, never from initializer names or order:
/// of the three projections of a block's input, query feeds the left side of QKᵀ, key reaches its right side through a
/// (0,2,3,1) transpose, value feeds the right side of softmax·V; the projection of the merged heads is
/// <c>attention.output.dense</c>; the one feeding the activation is <c>intermediate.dense</c>, the next <c>output.dense</c>.
/// </summary>
internal static class OnnxBertMatcher
{
    public static OnnxBertStructure Match(OnnxGraphIndex g)
    {
        var s = new OnnxBertStructure();
        var hidden = OnnxEmbeddingMatcher.Match(g, s);
        while (Block(g, s, hidden, s.Layers) is { } next)
        {
            hidden = next;
            s.Layers++;
        }
        if (s.Layers == 0) throw Fail(g, "no transformer block after the embeddings (three projections of the embeddings' output: query, key, value)");
        Pooler(g, s, hidden);
        return s;
    }

    /// <returns>The block's output, or null when <paramref name="x"/> feeds no projections (the end of the stack).</returns>
    static string? Block(OnnxGraphIndex g, OnnxBertStructure s, string x, int layer)
    {
        string p = $"encoder.layer.{layer}.", where = $"{g.Source}: layer {layer}";
        var projections = g.Readers(x).Select(r => OnnxPatterns.Linear(g, r.Node, x)).OfType<OnnxLinear>().ToList();
        if (projections.Count == 0) return null;
        if (projections.Count != 3 || projections.Any(l => l.In != s.Hidden || l.Out != s.Hidden))
            throw Fail(g, $"layer {layer}: '{x}' feeds {projections.Count} projection(s) ({string.Join(", ", projections.Select(l => l.Node.Describe() + " " + l.Weight.ShapeText))}); self-attention needs three {s.Hidden}×{s.Hidden} ones");

        var paths = projections.Select(l => (Linear: l, Path: OnnxPatterns.FollowToAttention(g, l.Output))).ToList();
        if (paths.FirstOrDefault(t => t.Path is null).Linear is { } lost)
            throw Fail(g, $"layer {layer}: the projection {lost.Node.Describe()} does not reach an attention MatMul through the head split " +
                "(Reshape/Transpose/constant scaling; exports of transformers' SDPA attention compute the scale at run time: re-export with attn_implementation=\"eager\")");
        var query = paths.SingleOrDefault(t => t.Path!.Input == 0);
        var key = paths.SingleOrDefault(t => t.Path!.Input == 1 && query.Path is not null && t.Path.MatMul == query.Path.MatMul);
        var value = paths.SingleOrDefault(t => t.Path!.Input == 1 && query.Path is not null && t.Path.MatMul != query.Path.MatMul);
        if (query.Path is null || key.Path is null || value.Path is null)
            throw Fail(g, $"layer {layer}: the three projections do not form QKᵀ and softmax·V (reached: {string.Join("; ", paths.Select(t => $"{t.Linear.Node.Describe()} → input {t.Path!.Input} of {t.Path.MatMul.Describe()}"))})");
        var (context, scoreScale, softmax) = OnnxPatterns.FollowScores(g, query.Path.MatMul.Outputs[0]);
        if (context != value.Path.MatMul || !softmax)
            throw Fail(g, $"layer {layer}: QKᵀ ({query.Path.MatMul.Describe()}) does not reach softmax·V ({value.Path.MatMul.Describe()}) through softmax");
        CheckPerm(g, layer, "query", query.Path.Perm, [0, 2, 1, 3]);
        CheckPerm(g, layer, "key", key.Path.Perm, [0, 2, 3, 1]);
        CheckPerm(g, layer, "value", value.Path.Perm, [0, 2, 1, 3]);

        long heads = s.Same(s.Heads, Heads(g, query.Path.ReshapeTarget, s.Hidden) ?? throw Fail(g, $"layer {layer}: the query's head split has no constant head count or head size"), "the number of attention heads", where);
        s.Heads = heads;
        double scale = query.Path.Scale * key.Path.Scale * scoreScale, expected = 1 / Math.Sqrt(s.Hidden / heads);
        if (Math.Abs(scale / expected - 1) > 1e-4 || value.Path.Scale != 1)
            throw Fail(g, $"layer {layer}: attention scores are scaled by {scale:G6}, not 1/√head_dim = {expected:G6}");
        s.Add(p + "attention.self.query", query.Linear, "feeds the left side of QKᵀ");
        s.Add(p + "attention.self.key", key.Linear, "reaches QKᵀ through a (0,2,3,1) transpose");
        s.Add(p + "attention.self.value", value.Linear, "feeds the right side of softmax·V");

        var (mergeNode, merged) = OnnxPatterns.SkipViews(g, context.Outputs[0]);
        var attentionOut = (mergeNode is null ? null : OnnxPatterns.Linear(g, mergeNode, merged))
            ?? throw Fail(g, $"layer {layer}: no projection of the merged heads after {context.Describe()}");
        s.Add(p + "attention.output.dense", attentionOut, "projects the merged heads");
        var attended = Residual(g, attentionOut.Output, x) ?? throw Fail(g, $"layer {layer}: the attention output is not added to the block input and layer-normalized");
        s.Add(p + "attention.output.LayerNorm", attended, "normalizes attention output + block input");

        var intermediate = g.Readers(attended.Output).Select(r => OnnxPatterns.Linear(g, r.Node, attended.Output)).OfType<OnnxLinear>().ToList() is [var only]
            ? only : throw Fail(g, $"layer {layer}: the attention LayerNorm does not feed exactly one projection (the intermediate one)");
        s.Intermediate = s.Same(s.Intermediate, intermediate.Out, "the intermediate size", where);
        s.Add(p + "intermediate.dense", intermediate, "feeds the activation");
        var (activation, nextNode, nextInput) = OnnxPatterns.Activation(g, intermediate.Output);
        s.Activation = OnnxActivation.Classify(g, layer, activation, s.Activation);
        var output = (nextNode is null ? null : OnnxPatterns.Linear(g, nextNode, nextInput))
            ?? throw Fail(g, $"layer {layer}: no single projection reads the activation output");
        if (output.In != s.Intermediate || output.Out != s.Hidden) throw Fail(g, $"layer {layer}: the output projection {output.Node.Describe()} is {output.Weight.ShapeText}");
        s.Add(p + "output.dense", output, "reads the activation");
        var block = Residual(g, output.Output, attended.Output) ?? throw Fail(g, $"layer {layer}: the feed-forward output is not added to its input and layer-normalized");
        s.Add(p + "output.LayerNorm", block, "normalizes feed-forward output + its input");
        return block.Output;
    }

    // Add(projection, residual) → LayerNorm, with the residual being exactly the expected value.
    static OnnxLayerNorm? Residual(OnnxGraphIndex g, string projected, string residual) =>
        OnnxPatterns.Single(g, projected, "Add") is { } add && OnnxPatterns.Other(add, projected) == residual ? OnnxPatterns.LayerNorm(g, add.Outputs[0]) : null;

    static void CheckPerm(OnnxGraphIndex g, int layer, string role, int[] perm, int[] expected)
    {
        if (!perm.SequenceEqual(expected))
            throw Fail(g, $"layer {layer}: the {role} path transposes the heads as ({string.Join(",", perm)}), BERT as ({string.Join(",", expected)})");
    }

    // Reshape target [batch, seq, heads, head_dim]: either constant identifies the other (-1 allowed for one of them).
    static long? Heads(OnnxGraphIndex g, string? target, long hidden)
    {
        if (target is null || g.IntVector(target) is not [_, _, var heads, var dim]) return null;
        if (heads > 0 && hidden % heads == 0 && (dim is null or -1 || heads * dim == hidden)) return heads;
        return dim > 0 && hidden % dim == 0 && heads is null or -1 ? hidden / dim : null;
    }

    /// <summary>BertPooler: Gather(token 0 along the sequence axis) → linear → Tanh.</summary>
    static void Pooler(OnnxGraphIndex g, OnnxBertStructure s, string x)
    {
        var gather = g.Readers(x).FirstOrDefault(r => r.Node.OpType == "Gather" && r.Input == 0 && r.Node.Int("axis") == 1 && g.Scalar(r.Node.Inputs[1]) == 0).Node;
        if (gather is null) return;
        var reader = g.Readers(gather.Outputs[0]) is [var (node, _)] ? node : null;
        var dense = reader is null ? null : OnnxPatterns.Linear(g, reader, gather.Outputs[0]);
        if (dense is null || dense.In != s.Hidden || dense.Out != s.Hidden || OnnxPatterns.Single(g, dense.Output, "Tanh") is null)
            throw Fail(g, $"the first token of the last hidden state ({gather.Describe()}) does not feed a {s.Hidden}×{s.Hidden} projection and Tanh (BertPooler)");
        s.Add("pooler.dense", dense, "projects token 0 of the last layer into Tanh");
        s.HasPooler = true;
    }

    public static CheckpointException Fail(OnnxGraphIndex g, string what) =>
        new($"{g.Source}: not a BERT encoder graph the ONNX import understands: {what}. The graph has: {g.OpSummary()}.");
}
