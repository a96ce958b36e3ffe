using System.Text.Json.Nodes;
using MLNet.FineTune.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests;

/// <summary>One case of ../shared/fixtures/hf-reference/outputs/&lt;name&gt;.json with Hugging Face's inputs and outputs.</summary>
internal sealed record HfCase(string Id, string Kind, JsonNode? Text, JsonNode? TextPair, string? Truncation,
    long[][] InputIds, long[][] AttentionMask, long[][]? TokenTypeIds, IReadOnlyDictionary<string, string> OutputTensors)
{
    public Tensor Ids => Matrix(InputIds);
    public Tensor Mask => Matrix(AttentionMask);
    public Tensor? Types => TokenTypeIds == null ? null : Matrix(TokenTypeIds);
    static Tensor Matrix(long[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });
}

internal static class HfReference
{
    public static (IReadOnlyList<HfCase> Cases, SafetensorsReader Outputs) Load(string name)
    {
        // Python's json writes NaN (llama-tiny's fp64 diff of the padded batch), which is not JSON.
        var json = JsonNode.Parse(File.ReadAllText(SharedFixtures.HfReference($"outputs/{name}.json")).Replace(": NaN", ": null"))!;
        var outputs = SafetensorsReader.Open(SharedFixtures.HfReference($"outputs/{name}.safetensors"));
        var cases = json["cases"]!.AsArray().Select(c => new HfCase(
            c!["id"]!.GetValue<string>(), c["kind"]!.GetValue<string>(), c["text"], c["text_pair"],
            c["truncation"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : (c["truncation"]?.ToString()),
            Rows(c["input_ids"]!), Rows(c["attention_mask"]!), c["token_type_ids"] is JsonArray t ? Rows(t) : null,
            c["outputs"]!.AsObject().ToDictionary(o => o.Key, o => o.Value!["tensor"]!.GetValue<string>()))).ToList();
        return (cases, outputs);
    }

    static long[][] Rows(JsonNode node) => node.AsArray().Select(r => r!.AsArray().Select(x => x!.GetValue<long>()).ToArray()).ToArray();

    /// <summary>Max |a − b| over the positions where <paramref name="mask"/> is 1 (all positions when null).</summary>
    public static double MaxAbsDiff(Tensor actual, Tensor expected)
    {
        Assert.IsTrue(actual.shape.SequenceEqual(expected.shape), $"shape [{string.Join(",", actual.shape)}] != expected [{string.Join(",", expected.shape)}]");
        using var d = (actual - expected).abs().max();
        return d.item<float>();
    }
}
