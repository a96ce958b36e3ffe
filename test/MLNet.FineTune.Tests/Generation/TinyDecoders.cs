using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Decoding;

namespace MLNet.FineTune.Tests.Generation;

/// <summary>Small random decoders (seeded) for generation tests that need no fixture, and a toy decoder of ids to letters.</summary>
internal static class TinyDecoders
{
    public static DecoderConfig Gpt2Config => new()
    {
        ModelType = "gpt2", VocabSize = 40, HiddenSize = 16, NumLayers = 2, NumHeads = 2, NumKeyValueHeads = 2, IntermediateSize = 24,
        MaxPositionEmbeddings = 64, HiddenAct = "gelu_new", TieWordEmbeddings = true, QkvBias = true, OutputProjectionBias = true, MlpBias = true,
    };

    public static DecoderConfig LlamaConfig => new()
    {
        ModelType = "llama", VocabSize = 40, HiddenSize = 16, NumLayers = 2, NumHeads = 4, NumKeyValueHeads = 2, IntermediateSize = 24,
        MaxPositionEmbeddings = 64, HiddenAct = "silu", NormEps = 1e-6,
    };

    public static ICausalLanguageModel Create(DecoderConfig config, long seed = 1)
    {
        using var stream = new TorchRandomStream(seed);
        var model = stream.Use(() => DecoderFactory.Create(config));
        model.Module.eval();
        return model;
    }

    /// <summary>Token i → the letter 'a' + i % 26 (a stand-in for a tokenizer's Decode).</summary>
    public static string Letters(IReadOnlyList<int> ids) => string.Concat(ids.Select(i => (char)('a' + i % 26)));
}
