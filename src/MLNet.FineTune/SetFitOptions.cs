using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;

namespace MLNet.FineTune;

/// <summary>The classifier SetFit fits on the fine-tuned embeddings.</summary>
public enum SetFitHead
{
    /// <summary>ML.NET's <c>LbfgsMaximumEntropy</c> on the embedding column (SetFit's default: scikit-learn's LogisticRegression).</summary>
    LogisticRegression,
    /// <summary>
    /// SetFit's differentiable <c>SetFitHead</c>: a linear layer + softmax trained with cross-entropy and AdamW on the
    /// body's embeddings (body frozen by default, or end to end); see <see cref="SetFitOptions.DifferentiableHead"/>.
    /// </summary>
    Differentiable,
}

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.SetFit</c> (SetFit: Tunstall et al. 2022, huggingface/setfit):
/// a sentence-embedding body fine-tuned contrastively on pairs drawn from a few labelled texts, then a classifier head on
/// its embeddings. Defaults are SetFit's. <c>Fit</c> reads these options and never modifies them.
/// </summary>
public sealed record SetFitOptions
{
    /// <summary>A pretrained sentence-embedding model shipped by a package (e.g. <c>PretrainedModels.AllMiniLmL6V2</c>). Set this or <see cref="BaseModelFolder"/>.</summary>
    public PretrainedModel? BaseModel { get; init; }

    /// <summary>A Hugging Face / sentence-transformers checkpoint folder. Set this or <see cref="BaseModel"/>.</summary>
    public string? BaseModelFolder { get; init; }

    /// <summary>Input text column (String). Default "Text".</summary>
    public string TextColumnName { get; init; } = "Text";

    /// <summary>Label column: String, Boolean, key or number (missing values are refused). Default "Label".</summary>
    public string LabelColumnName { get; init; } = "Label";

    /// <summary>
    /// Pairs per example: each iteration gives every example one positive pair (a text of its class, possibly itself) and
    /// one negative pair (a text of another class), as SetFit's <c>num_iterations</c>. Default 20 (the SetFit paper's and
    /// v0.x's default). Null: SetFit v1.x's default sampling: every pair of examples once, the rarer kind (positive or
    /// negative) repeated until both kinds are equally many ("oversampling").
    /// </summary>
    public int? NumIterations { get; init; } = 20;

    /// <summary>The contrastive loss on the pairs (targets 1 same class, 0 not). Default <see cref="ContrastiveLoss.CosineSimilarity"/> (SetFit's default).</summary>
    public ContrastiveLoss Loss { get; init; } = ContrastiveLoss.CosineSimilarity;

    /// <summary>
    /// How the body is trained on the pairs. Default null: SetFit's defaults (<see cref="SetFitDefaults.Body"/>: learning
    /// rate 2e-5, batch 16, 1 epoch, 10% warmup, weight decay 0.01). Its Seed is replaced by <see cref="Seed"/>.
    /// </summary>
    public TrainingOptions? Training { get; init; }

    /// <summary>How the body's weights are trained: full fine-tuning (default, as SetFit) or a PEFT method such as LoRA.</summary>
    public PeftOptions Peft { get; init; } = new();

    /// <summary>Null: the model's own pooling (sentence-transformers folder, else the pretrained model's, else mean).</summary>
    public EmbeddingPooling? Pooling { get; init; }

    /// <summary>L2-normalise the embeddings the head sees (all-MiniLM-L6-v2's own pipeline normalises). Default true.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Tokens per text at most. Null: the model's own (sentence-transformers' max_seq_length, else 256).</summary>
    public int? MaxSequenceLength { get; init; }

    /// <summary>The classifier on the embeddings. Default <see cref="SetFitHead.LogisticRegression"/>.</summary>
    public SetFitHead Head { get; init; } = SetFitHead.LogisticRegression;

    /// <summary>How the head is trained when <see cref="Head"/> is <see cref="SetFitHead.Differentiable"/> (ignored otherwise).</summary>
    public SetFitDifferentiableHeadOptions DifferentiableHead { get; init; } = new();

    /// <summary>Seeds the pair sampling and the body's training (weights of new layers, dropout, shuffling). Default 42 (SetFit's).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Receives a report after every optimizer step of the body's training. Default null.</summary>
    public IProgress<FineTuneProgress>? Progress { get; init; }

    /// <summary>Stops the body's training at the next step boundary.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>SetFit's training defaults (setfit v1.1 <c>TrainingArguments</c>).</summary>
public static class SetFitDefaults
{
    /// <summary>
    /// The body's contrastive training: body_learning_rate 2e-5, batch_size 16, num_epochs 1, warmup_proportion 0.1,
    /// l2_weight (AdamW weight decay) 0.01, linear decay, gradient norm clipped at 1 (sentence-transformers' fit).
    /// </summary>
    public static TrainingOptions Body { get; } = new() { LearningRate = 2e-5, BatchSize = 16, Epochs = 1, WarmupRatio = 0.1, WeightDecay = 0.01 };
}
