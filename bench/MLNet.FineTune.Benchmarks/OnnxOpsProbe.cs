using Microsoft.ML.OnnxRuntime;
using MLNet.FineTune.Modeling.Onnx;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// What ONNX Runtime makes of an exported graph: saves the session-optimized model at each optimization level
/// (<c>SessionOptions.OptimizedModelFilePath</c>) and prints the operator histogram of the file and of each optimized
/// graph, so one sees which fusions (Attention, SkipLayerNormalization, BiasGelu, FusedMatMul, …) fired and which did not.
/// </summary>
public static class OnnxOpsProbe
{
    public static string Run(string model)
    {
        var lines = new List<string> { $"exported: {Histogram(File.ReadAllBytes(model), model)}" };
        foreach (var level in new[] { GraphOptimizationLevel.ORT_ENABLE_BASIC, GraphOptimizationLevel.ORT_ENABLE_EXTENDED, GraphOptimizationLevel.ORT_ENABLE_ALL })
        {
            var optimized = Path.Combine(Path.GetTempPath(), $"{Path.GetFileNameWithoutExtension(model)}.{level}.onnx");
            using (var options = new SessionOptions { GraphOptimizationLevel = level, OptimizedModelFilePath = optimized })
            using (new InferenceSession(model, options)) { }
            lines.Add($"{level}: {Histogram(File.ReadAllBytes(optimized), optimized)}  ({optimized})");
        }
        return string.Join(Environment.NewLine, lines);
    }

    static string Histogram(byte[] bytes, string source) =>
        string.Join(", ", OnnxReader.Read(bytes, source).Graph.Nodes
            .GroupBy(n => n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}")
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"));
}
