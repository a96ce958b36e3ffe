using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// Hugging Face's <c>_init_weights</c> for BERT-family models: Linear and Embedding weights ~ N(0, 0.02), biases 0,
/// LayerNorm weight 1 / bias 0, the padding row of embeddings 0. Used for the built-in model trained from scratch and
/// for new task heads, so they start like a transformers model would.
/// </summary>
internal static class HuggingFaceInit
{
    public static void Apply(nn.Module module, double std = 0.02)
    {
        using var _ = no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case Linear linear:
                    nn.init.normal_(linear.weight, 0, std);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
                case Embedding embedding:
                    nn.init.normal_(embedding.weight, 0, std);
                    break;
                case LayerNorm norm:
                    if (norm.weight is not null) nn.init.ones_(norm.weight);
                    if (norm.bias is not null) nn.init.zeros_(norm.bias);
                    break;
            }
        }
    }
}
