using MLNet.FineTune.Modeling;

namespace MLNet.FineTune.Tests;

/// <summary>Tiny odd-sized configs (as Hugging Face's BERT tests use) that expose shape bugs in milliseconds.</summary>
internal static class TinyModels
{
    public static TransformerConfig Bert(string modelType = "bert") => new()
    {
        ModelType = modelType, VocabSize = 99, HiddenSize = 32, NumLayers = 2, NumHeads = 4, IntermediateSize = 37,
        MaxPositionEmbeddings = 64, TypeVocabSize = modelType == "roberta" ? 1 : 2, PadTokenId = modelType == "roberta" ? 1 : 0,
    };

    public static TransformerConfig DistilBert() => Bert() with { ModelType = "distilbert", TypeVocabSize = 0 };

    public static IEnumerable<object[]> All => new[] { new object[] { "bert" }, new object[] { "roberta" }, new object[] { "distilbert" } };

    public static TransformerConfig ByType(string type) => type == "distilbert" ? DistilBert() : Bert(type);
}
