using System.Text.Json.Nodes;
using MLNet.FineTune.Modeling.Decoding;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Decoders;

/// <summary>The tiny decoders of ../shared/fixtures/hf-reference and the references of ../shared/fixtures/hf-decoder.</summary>
internal static class DecoderFixtures
{
    public static string ModelFolder(string name) => SharedFixtures.HfReference($"models/{name}");

    public static string HfDecoder(string relativePath) => SharedFixtures.Require(Path.Combine("fixtures", "hf-decoder", relativePath));

    public static JsonNode Json(string relativePath) => JsonNode.Parse(File.ReadAllText(HfDecoder(relativePath)))!;

    /// <summary>A fixture model in eval mode without dropout, as every reference was computed.</summary>
    public static ICausalLanguageModel Load(string name, DecoderProjectionFactory? projection = null)
    {
        var folder = ModelFolder(name);
        var config = DecoderConfig.Load(Path.Combine(folder, "config.json")).WithoutDropout();
        var model = PretrainedDecoder.Load(folder, projection, config).Model;
        model.Module.eval();
        return model;
    }

    public static long[][] Rows(JsonNode node) => node.AsArray().Select(r => r!.AsArray().Select(x => x!.GetValue<long>()).ToArray()).ToArray();

    public static long[] Ids(JsonNode node) => node.AsArray().Select(x => x!.GetValue<long>()).ToArray();

    public static Tensor Matrix(long[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });
}
