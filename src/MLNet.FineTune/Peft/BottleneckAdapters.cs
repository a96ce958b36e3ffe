using System.Text.RegularExpressions;
using MLNet.FineTune.Modeling;
using TorchSharp;

namespace MLNet.FineTune.Peft;

/// <summary>
/// Where bottleneck adapters go. Houlsby: after the attention output projection and after the feed-forward output
/// projection of every layer; Pfeiffer: after the feed-forward output only. BERT/RoBERTa paths:
/// <c>encoder.layer.N.attention.output.dense</c>, <c>encoder.layer.N.output.dense</c>; DistilBERT:
/// <c>transformer.layer.N.attention.out_lin</c>, <c>transformer.layer.N.ffn.lin2</c>.
/// </summary>
internal static class BottleneckAdapters
{
    static readonly Regex FeedForwardOutput = new(@"^(encoder|transformer)\.layer\.\d+\.(output\.dense|ffn\.lin2)\z");
    static readonly Regex AttentionOutput = new(@"^(encoder|transformer)\.layer\.\d+\.attention\.(output\.dense|out_lin)\z");

    /// <summary>Whether the method puts an adapter after the projection at <paramref name="path"/>.</summary>
    public static bool IsTargeted(PeftMethod method, string path) => method switch
    {
        PeftMethod.Houlsby => FeedForwardOutput.IsMatch(path) || AttentionOutput.IsMatch(path),
        PeftMethod.Pfeiffer => FeedForwardOutput.IsMatch(path),
        _ => throw new ArgumentException($"{method} is not a bottleneck adapter method (Houlsby, Pfeiffer)."),
    };

    /// <summary>A projection factory that wraps the targeted output projections; <paramref name="built"/> collects them.</summary>
    /// <param name="method">Houlsby or Pfeiffer.</param>
    /// <param name="options">Adapter sizes.</param>
    /// <param name="built">Receives every adapter layer built.</param>
    /// <param name="taskAdapters">Per-task adapter names (<see cref="PeftOptions.AdapterPerTask"/>); null: one shared adapter.</param>
    public static ProjectionFactory Factory(PeftMethod method, BottleneckOptions options, ICollection<BottleneckAdapterLinear>? built = null,
        IReadOnlyList<string>? taskAdapters = null)
    {
        options.Validate();
        _ = IsTargeted(method, "");
        return (path, inFeatures, outFeatures) =>
        {
            var linear = torch.nn.Linear(inFeatures, outFeatures);
            if (!IsTargeted(method, path)) return linear;
            var adapter = new BottleneckAdapterLinear(path, linear, Math.Max(1, outFeatures / options.ReductionFactor), options.NonLinearity, taskAdapters);
            built?.Add(adapter);
            return adapter;
        };
    }
}
