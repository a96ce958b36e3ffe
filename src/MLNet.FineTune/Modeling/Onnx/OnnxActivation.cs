using MLNet.FineTune.Modeling.Checkpoints;

namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>
/// Names the feed-forward activation from the nodes between the intermediate and output projections, as
/// <c>hidden_act</c> spells it. Exact GELU is exported as <c>x · (1 + erf(x / √2)) · 0.5</c>; anything else is refused
/// by name, because a near-miss (tanh-approximated GELU) would load and run but compute something slightly different.
/// </summary>
internal static class OnnxActivation
{
    static readonly HashSet<string> ErfGeluOps = ["Div", "Mul", "Add", "Erf", "Cast"];

    public static string Classify(OnnxGraphIndex g, int layer, IReadOnlyList<OnnxNode> nodes, string? previous)
    {
        var ops = nodes.Select(n => n.OpType).ToHashSet();
        string found = string.Join(", ", nodes.Select(n => n.Describe()));
        string kind;
        if (ops.Contains("Erf") && ops.IsSubsetOf(ErfGeluOps) && HasSqrt2(g, nodes))
            kind = "gelu";
        else if (ops.SetEquals(["Relu"]))
            kind = "relu";
        else if (ops.Contains("Tanh") && (ops.Contains("Pow") || ops.Contains("Mul")))
            throw new CheckpointException($"{g.Source}: layer {layer} uses the tanh approximation of GELU (gelu_new / gelu_pytorch_tanh: {found}). " +
                "The ONNX import supports exact (erf) GELU and ReLU only.");
        else
            throw OnnxBertMatcher.Fail(g, $"layer {layer}: unknown activation between the intermediate and output projections ({(found.Length > 0 ? found : "nothing")}); " +
                "supported: exact GELU (Erf) and ReLU");
        if (previous is not null && previous != kind)
            throw new CheckpointException($"{g.Source}: layer {layer} uses {kind}, earlier layers {previous}; one encoder has one activation.");
        return kind;
    }

    // The erf argument is x/√2 (Div by √2 or Mul by 1/√2): the constant that makes it GELU and not some other erf curve.
    static bool HasSqrt2(OnnxGraphIndex g, IEnumerable<OnnxNode> nodes) => nodes.Any(n =>
        n.OpType == "Div" && Near(g.Scalar(n.Inputs[1]), Math.Sqrt(2)) ||
        n.OpType == "Mul" && (Near(g.Scalar(n.Inputs[0]), Math.Sqrt(0.5)) || Near(g.Scalar(n.Inputs[1]), Math.Sqrt(0.5))));

    static bool Near(double? value, double expected) => value is double v && Math.Abs(v - expected) < 1e-5;
}
