// TEMPORARY (helper h2): stands in for helper h1's contrastive fine-tuning until branch h1 is merged; deleted then.
// It embeds with the untrained body, so SetFit runs end to end (pairs are generated but not learnt from).
using Microsoft.ML.Runtime;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Embeddings
{
    public enum ContrastiveLoss { MultipleNegativesRanking, CoSent, CosineSimilarity, Contrastive }
}

namespace MLNet.FineTune
{
    internal sealed record EmbeddingFineTuneOptions
    {
        public PretrainedModel? BaseModel { get; init; }
        public string? BaseModelFolder { get; init; }
        public ContrastiveLoss Loss { get; init; }
        public EmbeddingPooling? Pooling { get; init; }
        public bool Normalize { get; init; } = true;
        public int? MaxSequenceLength { get; init; }
        public string InputColumnName { get; init; } = "Text";
        public string OutputColumnName { get; init; } = "Embedding";
        public PeftOptions Peft { get; init; } = new();
        public TrainingOptions? Training { get; init; }
        public IProgress<FineTuneProgress>? Progress { get; init; }
        public CancellationToken CancellationToken { get; init; }
    }

    internal static class EmbeddingFineTuneEstimator
    {
        internal static TextEmbeddingTransformer Train(IHostEnvironment env, EmbeddingFineTuneOptions options, IReadOnlyList<string> first, IReadOnlyList<string> second,
            IReadOnlyList<float>? targets, Action<string>? log) =>
            TextEmbeddingEstimator.Create(env, new TextEmbeddingOptions
            {
                BaseModel = options.BaseModel, BaseModelFolder = options.BaseModelFolder, Pooling = options.Pooling, Normalize = options.Normalize,
                MaxSequenceLength = options.MaxSequenceLength, InputColumnName = options.InputColumnName, OutputColumnName = options.OutputColumnName,
            });
    }
}
