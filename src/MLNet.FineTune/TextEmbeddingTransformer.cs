using MLNet.FineTune.Embeddings;
using Microsoft.Extensions.AI;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Scoring;

[assembly: ZipPersistedTransformer(typeof(MLNet.FineTune.TextEmbeddingTransformer), PayloadVersion = 1, OldestReadablePayloadVersion = 1)]

namespace MLNet.FineTune;

/// <summary>
/// A fitted text-embedding model: adds a known-size Single vector column (the sentence embedding) to the data it
/// transforms, <see cref="BatchSize"/> rows per encoder call. Saved by <c>mlContext.Model.Save</c> into one zip with its
/// tokenizer, config and encoder weights, like FineTune models. <see cref="AsEmbeddingGenerator"/> exposes it as a
/// Microsoft.Extensions.AI <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c>.
/// </summary>
public sealed partial class TextEmbeddingTransformer : ZipPersistedTransformer, IZipPersistedLoadable<TextEmbeddingTransformer>, IDisposable
{
    readonly TextEmbeddingScorer scorer;

    internal TextEmbeddingTransformer(IHostEnvironment env, ModelPackage package, EncoderModel encoder, EmbeddingSettings settings, bool maxLengthMayShrink)
        : base(env, "TextEmbedding")
    {
        Package = package; Encoder = encoder;
        encoder.eval();
        scorer = new TextEmbeddingScorer(encoder, package.Tokenizer, settings, maxLengthMayShrink, package.NameInMessages);
        // What is saved is what is used: the length the encoder really takes.
        Settings = settings with { MaxSequenceLength = scorer.MaxLength };
    }

    internal ModelPackage Package { get; }
    internal EncoderModel Encoder { get; }
    internal EmbeddingSettings Settings { get; }
    internal TextEmbeddingScorer Scorer => scorer;

    /// <summary>The base model's name (a Hub id for the shipped pretrained models, else the checkpoint folder's name).</summary>
    public string ModelId => Package.BaseName;
    /// <summary>Size of each embedding (after any Matryoshka truncation).</summary>
    public int Dimensions => Settings.Dimensions;
    public EmbeddingPooling Pooling => Settings.Pooling;
    public bool Normalize => Settings.Normalize;
    public int MaxSequenceLength => Settings.MaxSequenceLength;
    public int BatchSize => Settings.BatchSize;
    public string InputColumnName => Settings.InputColumn;
    public string OutputColumnName => Settings.OutputColumn;

    /// <summary>Embeds texts directly, outside an IDataView (thread-safe): one vector of <see cref="Dimensions"/> floats per text.</summary>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new List<float[]>(texts.Count);
        foreach (var chunk in texts.Chunk(BatchSize)) result.AddRange(scorer.Embed(chunk));
        return result.ToArray();
    }

    /// <summary>This model as Microsoft.Extensions.AI's embedding generator (thread-safe; Semantic Kernel and vector stores take it as is).</summary>
    public IEmbeddingGenerator<string, Embedding<float>> AsEmbeddingGenerator() => new TextEmbeddingGenerator(this);

    private protected override IBatchScorer CreateScorer(DataViewSchema inputSchema)
    {
        DataViewColumns.RequireText(inputSchema, InputColumnName, "Text");
        return scorer;
    }

    /// <summary>Does not free the encoder: ML.NET calls this from every PredictionEngine.Dispose while the model is still shared (see FineTuneTransformer.Dispose).</summary>
    public void Dispose() { }
}
