using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Training;
using Microsoft.ML;

namespace MLNet.FineTune;

/// <summary>What a FineTune head learns when <see cref="FineTuneOptions.Heads"/> is not given.</summary>
public enum FineTuneTask
{
    /// <summary>Binary (Boolean label) or multiclass (string, key or number label) classification of a text or a text pair.</summary>
    Classification,
    /// <summary>A number per text or text pair (mean squared error).</summary>
    Regression,
}

/// <summary>
/// Options of <c>mlContext.Transforms.FineTune</c>. Every default lives here. <c>Fit</c> reads these options and never
/// modifies them, so one instance can configure several pipelines.
/// </summary>
public sealed record FineTuneOptions
{
    /// <summary>
    /// A Hugging Face checkpoint folder (config.json, model.safetensors or shards, tokenizer files) of a BERT, RoBERTa or
    /// DistilBERT model, e.g. a local copy of bert-base-uncased or all-MiniLM-L6-v2. Default null: the built-in small
    /// model (<see cref="BuiltInModel"/>) is trained from scratch on the training data.
    /// </summary>
    public string? BaseModelFolder { get; init; }

    /// <summary>
    /// A named pretrained model shipped as a package, e.g. <c>PretrainedModels.AllMiniLmL6V2</c> from MLNet.FineTune.Pretrained
    /// (resolved to a cached local folder on first use). Set this or <see cref="BaseModelFolder"/>, not both. Default null.
    /// </summary>
    public PretrainedModel? BaseModel { get; init; }

    /// <summary>Sizes of the built-in model, used when <see cref="BaseModelFolder"/> is null.</summary>
    public BuiltInModelOptions BuiltInModel { get; init; } = new();

    /// <summary>Input text column (String). Default "Text".</summary>
    public string TextColumnName { get; init; } = "Text";

    /// <summary>Optional second text column for sentence-pair tasks (paraphrase, entailment). Default null.</summary>
    public string? SecondTextColumnName { get; init; }

    /// <summary>Label column. Default "Label". Classification accepts String, Boolean, key or number labels; regression Single or Double.</summary>
    public string LabelColumnName { get; init; } = "Label";

    /// <summary>The task when <see cref="Heads"/> is null. Default <see cref="FineTuneTask.Classification"/>.</summary>
    public FineTuneTask Task { get; init; } = FineTuneTask.Classification;

    /// <summary>
    /// Advanced: the task heads to train over the shared encoder (several heads = multi-task; each reads its own label
    /// column; each head carries its own loss weight and label smoothing). Default null: one head for <see cref="Task"/> on <see cref="LabelColumnName"/>.
    /// </summary>
    public IReadOnlyList<ITaskHead>? Heads { get; init; }


    /// <summary>Prefix for output column names (Score, PredictedLabel, Probability). Default "" (ML.NET's default names).</summary>
    public string OutputColumnPrefix { get; init; } = "";

    /// <summary>
    /// How the encoder is trained: full fine-tuning (default), head only, BitFit, LoRA (PEFT's defaults: r 8, alpha 8, query/value),
    /// Houlsby or Pfeiffer bottleneck adapters, or prompt tuning. Frozen weights get no gradients and no optimizer state.
    /// </summary>
    public PeftOptions Peft { get; init; } = new();

    /// <summary>
    /// Dropout of the encoder's hidden states and attention probabilities, replacing the checkpoint's
    /// <c>hidden_dropout_prob</c> / <c>attention_probs_dropout_prob</c> (as <c>from_pretrained(..., hidden_dropout_prob=p)</c>
    /// does). Default null: the checkpoint's own values. The built-in model uses <see cref="BuiltInModelOptions.Dropout"/>.
    /// </summary>
    public double? Dropout { get; init; }

    /// <summary>
    /// Tokens per example after truncation, special tokens included. Default 128, or the model's positions when it has
    /// fewer (noted in the log); a value set larger than the model's positions is refused.
    /// </summary>
    public int MaxSequenceLength { get => maxSequenceLength ?? DefaultMaxSequenceLength; init => maxSequenceLength = value; }

    internal const int DefaultMaxSequenceLength = 128;
    int? maxSequenceLength;

    /// <summary>Whether <see cref="MaxSequenceLength"/> was left at its default (then it may be shortened to fit the model).</summary>
    internal bool MaxSequenceLengthIsDefault => maxSequenceLength is null;

    /// <summary>How text pairs are truncated. Default longest-first (Hugging Face's default).</summary>
    public TruncationStrategy Truncation { get; init; } = TruncationStrategy.LongestFirst;

    /// <summary>
    /// Training hyper-parameters. Default null: <see cref="FineTuneDefaults.ForCheckpoint"/> (learning rate 1e-4, 3 epochs,
    /// batch 16; measured for small pretrained models on CPU) with a checkpoint or pretrained model, <see cref="FineTuneDefaults.ForBuiltInModel"/> (1e-3) without.
    /// </summary>
    public TrainingOptions? Training { get; init; }

    /// <summary>Rows to evaluate on during training (early stopping, best-weights restore). Default null.</summary>
    public IDataView? ValidationSet { get; init; }

    /// <summary>When no <see cref="ValidationSet"/> is given, the fraction of training rows held out for validation. Default 0.</summary>
    public double ValidationFraction { get; init; }

    /// <summary>
    /// What the saved model zip holds: <see cref="ModelWeights.Full"/> (default: self-contained) or
    /// <see cref="ModelWeights.TrainableOnly"/> (adapters and heads only, plus the base checkpoint's identity; loading then
    /// needs the same base folder, registered with <see cref="FineTuneModels.RegisterBaseModelFolder"/>).
    /// </summary>
    public ModelWeights WeightsInZip { get; init; } = ModelWeights.Full;

    /// <summary>Rows per encoder call when scoring. Default 32.</summary>
    public int ScoringBatchSize { get; init; } = 32;

    /// <summary>Receives a report after every optimizer step and evaluation. Default null.</summary>
    public IProgress<FineTuneProgress>? Progress { get; init; }

    /// <summary>Stops training at the next step boundary (a checkpoint is written when a checkpoint folder is set).</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>Which weights a saved FineTune model zip carries.</summary>
public enum ModelWeights
{
    /// <summary>Every weight: the zip is self-contained.</summary>
    Full,
    /// <summary>Only trained weights (LoRA/adapters/prompt and heads) plus the base's name and sha256: small zips for a shared base.</summary>
    TrainableOnly,
}

/// <summary>Training defaults by starting point.</summary>
public static class FineTuneDefaults
{
    /// <summary>
    /// Fine-tuning a pretrained checkpoint: learning rate 1e-4, batch 16, 3 epochs, linear decay, no warmup, weight decay
    /// 0.01. Chosen by a sweep of all-MiniLM-L6-v2 on 3,000 SST-2 rows (docs/benchmarks.md): 2e-5 → 0.794 dev accuracy,
    /// 5e-5 (Hugging Face Trainer's default) → 0.810, 1e-4 → 0.821, 2e-4 → 0.825 (within noise of 1e-4, riskier on
    /// larger checkpoints); batch 32 gave 0.813 at the same speed per example. Small 6-layer models want a higher rate
    /// than bert-base recipes; lower it (2e-5 – 5e-5) for 12-layer checkpoints.
    /// </summary>
    public static TrainingOptions ForCheckpoint { get; } = new() { LearningRate = 1e-4 };

    /// <summary>Training the small built-in model from scratch: a higher learning rate with 10% warmup, batch 32, 3 epochs.</summary>
    public static TrainingOptions ForBuiltInModel { get; } = new() { LearningRate = 1e-3, WarmupRatio = 0.1, BatchSize = 32, Epochs = 3 };
}
