using MLNet.FineTune.Modeling;
using static TorchSharp.torch;

namespace MLNet.FineTune.Embeddings;

/// <summary>
/// A new plain encoder (no adapters) holding the given weights under Hugging Face names: what an embedding model keeps, so
/// it stays what it was when created (the source may train on or be freed) and saves like a pretrained one.
/// </summary>
internal static class PlainEncoderCopy
{
    public static EncoderModel Create(TransformerConfig config, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        // Creating a module draws initial weights from torch's global generator: hold it, as every build does.
        var plain = TorchRandomStream.Exclusive(() => EncoderFactory.Create(config, addPooler: weights.ContainsKey("pooler.dense.weight")));
        using (no_grad()) Modeling.Checkpoints.StateDictLoader.Load(plain, weights, source);
        plain.eval();
        return plain;
    }
}
