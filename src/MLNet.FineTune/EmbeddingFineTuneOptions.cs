using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;

namespace MLNet.FineTune;

/// <summary>
/// Options of <c>mlContext.Transforms.FineTuneEmbeddings</c>: contrastive fine-tuning of a sentence-embedding encoder on
/// text pairs with sentence-transformers' losses. Every default lives here; <c>Fit</c> never modifies the options.
/// </summary>
public sealed record EmbeddingFineTuneOptions
{
    /// <summary>A pretrained model shipped by a package (e.g. <c>PretrainedModels.AllMiniLmL6V2</c>). Set this or <see cref="BaseModelFolder"/>.</summary>
    public PretrainedModel? BaseModel { get; init; }

    /// <summary>A Hugging Face / sentence-transformers checkpoint folder. Set this or <see cref="BaseModel"/>.</summary>
    public string? BaseModelFolder { get; init; }

    /// <summary>First text of each training pair (String): the anchor for MultipleNegativesRanking, text a for the other losses. Default "Anchor".</summary>
    public string FirstColumnName { get; init; } = "Anchor";

    /// <summary>Second text of each training pair (String): the positive for MultipleNegativesRanking, text b for the other losses. Default "Positive".</summary>
    public string SecondColumnName { get; init; } = "Positive";

    /// <summary>The pair's similarity target (Single, Double or integer), read by CoSent and CosineSimilarity. Default "Score".</summary>
    public string ScoreColumnName { get; init; } = "Score";

    /// <summary>The pair's label (Boolean, or a number 0 / 1), read by Contrastive: true / 1 = similar. Default "Label".</summary>
    public string LabelColumnName { get; init; } = "Label";

    /// <summary>The loss. Default <see cref="ContrastiveLoss.MultipleNegativesRanking"/> (pairs of similar texts, no scores needed).</summary>
    public ContrastiveLoss Loss { get; init; } = ContrastiveLoss.MultipleNegativesRanking;

    /// <summary>Multiplier of the cosine similarities (inverse temperature) in MultipleNegativesRanking and CoSent. Default 20 (sentence-transformers' default for both).</summary>
    public float Scale { get; init; } = 20f;

    /// <summary>
    /// MultipleNegativesRanking only: also rank each positive's anchor among the batch's anchors and average both directions
    /// (sentence-transformers' MultipleNegativesSymmetricRankingLoss). Default false.
    /// </summary>
    public bool Symmetric { get; init; }

    /// <summary>Contrastive only: dissimilar pairs are pushed to at least this cosine distance (1 − cos). Default 0.5 (sentence-transformers' default).</summary>
    public float Margin { get; init; } = 0.5f;

    /// <summary>
    /// Pooling used in training and by the returned model. Null: the model's own (the folder's <c>1_Pooling/config.json</c>,
    /// else the pretrained model's recorded pooling, else mean).
    /// </summary>
    public EmbeddingPooling? Pooling { get; init; }

    /// <summary>Whether the returned model L2-normalises its vectors. Training compares by cosine either way. Default true.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Matryoshka truncation of the returned model's vectors (training uses the full vector). Null: all dimensions.</summary>
    public int? Dimensions { get; init; }

    /// <summary>
    /// Tokens per text at most, in training and in the returned model. Null: the folder's <c>sentence_bert_config.json</c>
    /// max_seq_length, else 256, shortened to the model's positions.
    /// </summary>
    public int? MaxSequenceLength { get; init; }

    /// <summary>Input text column of the returned model (not read by Fit). Default "Text".</summary>
    public string InputColumnName { get; init; } = "Text";

    /// <summary>Output column of the returned model: a known-size vector of Single. Default "Embedding".</summary>
    public string OutputColumnName { get; init; } = "Embedding";

    /// <summary>
    /// How the encoder is trained: full fine-tuning (default), LoRA (merged into the weights after training, so the returned
    /// model is a plain encoder) or BitFit. Methods that need a task head or change the encoder's structure are refused.
    /// </summary>
    public PeftOptions Peft { get; init; } = new();

    /// <summary>Training hyper-parameters. Null: <see cref="DefaultTraining"/>.</summary>
    public TrainingOptions? Training { get; init; }

    /// <summary>
    /// sentence-transformers' <c>fit</c> defaults: learning rate 2e-5, batch 16, 1 epoch, linear schedule with 10% warmup,
    /// weight decay 0.01, gradient clipping at 1. Larger batches help MultipleNegativesRanking (more in-batch negatives).
    /// </summary>
    public static TrainingOptions DefaultTraining { get; } = new() { LearningRate = 2e-5, BatchSize = 16, Epochs = 1, WarmupRatio = 0.1 };

    /// <summary>Receives a report after every optimizer step. Default null.</summary>
    public IProgress<FineTuneProgress>? Progress { get; init; }

    /// <summary>Stops training at the next step boundary (the model so far is returned; a checkpoint is written when a checkpoint folder is set).</summary>
    public CancellationToken CancellationToken { get; init; }
}
