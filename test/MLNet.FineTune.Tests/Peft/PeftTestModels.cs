using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Peft;

/// <summary>Tiny odd-sized encoders (as transformers' BERT tests) and a fixed batch, so PEFT tests run in milliseconds.</summary>
internal static class PeftTestModels
{
    public static TransformerConfig Tiny(string modelType = "bert") => new()
    {
        ModelType = modelType, VocabSize = 99, HiddenSize = 32, NumLayers = 2, NumHeads = 4, IntermediateSize = 37,
        MaxPositionEmbeddings = 64, HiddenDropout = 0, AttentionDropout = 0, TypeVocabSize = modelType == "distilbert" ? 0 : 2,
        PadTokenId = modelType == "roberta" ? 1 : 0,
    };

    /// <summary>(2, 7) ids with padding in the second row.</summary>
    public static EncoderInput Batch()
    {
        var ids = tensor(new long[] { 2, 15, 27, 33, 48, 61, 3, 2, 70, 81, 3, 0, 0, 0 }, new long[] { 2, 7 });
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, new long[] { 2, 7 });
        var types = tensor(new long[] { 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0 }, new long[] { 2, 7 });
        return new EncoderInput(mask, ids, types);
    }

    /// <summary>A plain encoder and a PEFT one holding the same base weights (seeded), both in eval mode.</summary>
    public static (EncoderModel Plain, EncoderModel Peft, PeftModel Model) Pair(PeftOptions options, TransformerConfig? config = null, TorchSharp.torch.nn.Module? head = null)
    {
        config ??= Tiny();
        manual_seed(7);
        var plain = EncoderFactory.Create(config);
        var model = new PeftModel(options, config.ModelType);
        var peft = EncoderFactory.Create(config, model.Projection);
        StateDictLoader.Load(peft, plain.state_dict(), "plain", mayBeMissing: n => n.Contains(".lora_") || n.Contains(".adapter_"));
        model.Attach(peft, head);
        plain.eval(); peft.eval();
        return (plain, peft, model);
    }

    public static double MaxDiff(Tensor a, Tensor b)
    {
        Assert.IsTrue(a.shape.SequenceEqual(b.shape), $"shape [{string.Join(",", a.shape)}] != [{string.Join(",", b.shape)}]");
        using var d = (a - b).abs().max();
        return d.item<float>();
    }
}
