using MLNet.FineTune.Data;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Training;

namespace MLNet.FineTune;

/// <summary>
/// The data side of text-generation training, as the estimator uses it: examples → token ids and labels (completion or
/// assistant tokens only, or all), packed or not, batched for <c>Trainer&lt;CausalLmBatch&gt;</c>. A thin layer over the
/// Data/Generative encoder, so training and <see cref="TextGenerationPrompts"/> render text the same way.
/// </summary>
internal sealed class TextGenerationEncoding(DecoderPackage package, PromptFormat format, TextGenerationLoss loss, bool packing, int maxLength)
{
    // TODO(h1 merge): everything below is h1's encoder, templates, packing and batch source.
    public IBatchSource<CausalLmBatch> BatchSource(IReadOnlyList<GenerativeExample> examples) => throw new NotImplementedException();

    public static GenerativeExample ParseMessages(string? json, string where) => throw new NotImplementedException();
}
