using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune;

/// <summary>Options of <c>mlContext.Transforms.TextEmbedding</c>: which encoder, how to pool, normalise and truncate.</summary>
public sealed record TextEmbeddingOptions
{
    /// <summary>A pretrained model shipped by a package (e.g. <c>PretrainedModels.AllMiniLmL6V2</c>). Set one of this, <see cref="BaseModelFolder"/> or <see cref="FineTunedModel"/>.</summary>
    public PretrainedModel? BaseModel { get; init; }

    /// <summary>A Hugging Face / sentence-transformers checkpoint folder. Set one of this, <see cref="BaseModel"/> or <see cref="FineTunedModel"/>.</summary>
    public string? BaseModelFolder { get; init; }

    /// <summary>
    /// A fitted (or loaded) FineTune model whose fine-tuned encoder embeds the texts (its heads are not used). Methods that
    /// keep the encoder's structure (Full, HeadOnly, BitFit) are supported. Set this or <see cref="BaseModel"/> or <see cref="BaseModelFolder"/>.
    /// </summary>
    public FineTuneTransformer? FineTunedModel { get; init; }

    /// <summary>Input text column.</summary>
    public string InputColumnName { get; init; } = "Text";

    /// <summary>Output column: a known-size vector of Single.</summary>
    public string OutputColumnName { get; init; } = "Embedding";

    /// <summary>
    /// Null: the model's own pooling: the folder's sentence-transformers <c>1_Pooling/config.json</c>, else the
    /// pretrained model's recorded pooling, else mean.
    /// </summary>
    public EmbeddingPooling? Pooling { get; init; }

    /// <summary>L2-normalise each vector (after any Matryoshka truncation), so a dot product is the cosine similarity.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Matryoshka truncation: keep the first N dimensions (then re-normalise when <see cref="Normalize"/>). Null: all.</summary>
    public int? Dimensions { get; init; }

    /// <summary>
    /// Tokens per text at most (longer texts are truncated). Null: the folder's <c>sentence_bert_config.json</c>
    /// max_seq_length when present, else a fine-tuned model's own MaxSequenceLength, else 256 (sentence-transformers' all-MiniLM-L6-v2), shortened to the model's positions.
    /// </summary>
    public int? MaxSequenceLength { get; init; }

    /// <summary>Rows per encoder call when transforming an IDataView.</summary>
    public int BatchSize { get; init; } = 32;
}
