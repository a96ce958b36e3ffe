using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Tests.Persistence;

/// <summary>Builds the test pipeline: MinMax normalize -> ScaleTransformer (x2.5) -> Concatenate, on fixed rows.</summary>
public static class ScalePipeline
{
    /// <summary>Input row; the fresh-process helper declares an identical class of its own.</summary>
    public sealed class Row
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
    }

    public static readonly byte[] Blob = [0, 1, 2, 250, 255, 42, 7];

    public static Row[] Rows() =>
    [
        new() { Features = [1f, 2f, 3f] },
        new() { Features = [4f, -5f, 6.5f] },
        new() { Features = [0.25f, 8f, -1f] },
    ];

    public static ITransformer Fit(MLContext ml, IDataView data)
    {
        var normalize = ml.Transforms.NormalizeMinMax("Features").Fit(data);
        var normalized = normalize.Transform(data);
        var scale = new ScaleTransformer(ml, "Features", "Scaled", 2.5f, Blob);
        var concat = ml.Transforms.Concatenate("All", "Scaled", "Features").Fit(scale.Transform(normalized));
        return new TransformerChain<ITransformer>(normalize, scale, concat);
    }

    /// <summary>The "Scaled" and "All" columns of every row, flattened row by row.</summary>
    public static float[][] Outputs(IDataView scored)
    {
        var scaled = scored.GetColumn<float[]>("Scaled").ToArray();
        var all = scored.GetColumn<float[]>("All").ToArray();
        return scaled.Zip(all, (s, a) => s.Concat(a).ToArray()).ToArray();
    }
}
