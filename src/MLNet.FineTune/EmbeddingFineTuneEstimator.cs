using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Data;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Training;

namespace MLNet.FineTune;

/// <summary>
/// Fine-tunes a sentence-embedding encoder contrastively on text pairs (sentence-transformers' losses, full fine-tuning or
/// LoRA); <see cref="Fit"/> returns a <see cref="TextEmbeddingTransformer"/> that embeds
/// <see cref="EmbeddingFineTuneOptions.InputColumnName"/> with the fine-tuned encoder and saves like any embedding model.
/// Created by <c>mlContext.Transforms.FineTuneEmbeddings(...)</c>.
/// </summary>
public sealed class EmbeddingFineTuneEstimator : IEstimator<TextEmbeddingTransformer>
{
    readonly IHostEnvironment context;

    public EmbeddingFineTuneEstimator(IHostEnvironment context, EmbeddingFineTuneOptions options)
    {
        this.context = context ?? throw new ArgumentNullException(nameof(context));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        EmbeddingFineTuneOptionsValidation.Validate(options);
    }

    public EmbeddingFineTuneOptions Options { get; }

    /// <summary>
    /// Checks the columns the chosen loss reads (the two texts; the score for CoSent and CosineSimilarity; the label for
    /// Contrastive) and adds the embedding column. The returned model reads <see cref="EmbeddingFineTuneOptions.InputColumnName"/>,
    /// which the training data need not have.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        foreach (var (role, name) in new[] { ("First text", Options.FirstColumnName), ("Second text", Options.SecondColumnName) })
            RequireText(inputSchema, name, role);
        if (TargetColumn is { } target)
        {
            var column = Require(inputSchema, target.Name, target.Role);
            bool number = column.Kind == SchemaShape.Column.VectorKind.Scalar && column.ItemType is NumberDataViewType;
            bool boolean = column.Kind == SchemaShape.Column.VectorKind.Scalar && column.ItemType is BooleanDataViewType;
            if (!(number || (boolean && Options.Loss == ContrastiveLoss.Contrastive)))
                throw new ArgumentOutOfRangeException(target.Name, $"{target.Role} column '{target.Name}' has type {Describe(column)}; {Options.Loss} expects {target.Expected}.");
        }
        if (inputSchema.TryFindColumn(Options.InputColumnName, out _)) RequireText(inputSchema, Options.InputColumnName, "Input text");
        var result = inputSchema.ToDictionary(c => c.Name);
        result[Options.OutputColumnName] = new SchemaShape.Column(Options.OutputColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
        return new SchemaShape(result.Values);
    }

    /// <summary>The column holding each pair's target for the chosen loss, or null (MultipleNegativesRanking reads none).</summary>
    (string Name, string Role, string Expected)? TargetColumn => Options.Loss switch
    {
        ContrastiveLoss.CoSent or ContrastiveLoss.CosineSimilarity => (Options.ScoreColumnName, "Score", "a number (Single, Double or an integer type) per pair"),
        ContrastiveLoss.Contrastive => (Options.LabelColumnName, "Label", "Boolean or a number 0 / 1 (1 = similar) per pair"),
        _ => null,
    };

    /// <summary>Reads the pairs (and targets) and fine-tunes the encoder.</summary>
    public TextEmbeddingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema));
        var first = DataViewColumns.ReadText(input, Options.FirstColumnName);
        var second = DataViewColumns.ReadText(input, Options.SecondColumnName);
        IReadOnlyList<float>? targets = TargetColumn is { } target ? DataViewColumns.ReadAny(input, target.Name).Select(ToSingle).ToList() : null;
        using var channel = context.Register("FineTuneEmbeddings").Start("Fit");
        return Train(context, Options, first, second, targets, m => channel.Info(m));
    }

    static float ToSingle(object? value) => value switch
    {
        bool b => b ? 1f : 0f,
        float f => f, double d => (float)d, int i => i, long l => l, uint u => u,
        _ => Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The training path shared with SetFit: fine-tunes the options' base encoder on the pairs (first[i], second[i]) and
    /// returns the embedding model. <paramref name="targets"/>: per pair the score (CoSent, CosineSimilarity) or 0/1 label
    /// (Contrastive); null for MultipleNegativesRanking.
    /// </summary>
    internal static TextEmbeddingTransformer Train(IHostEnvironment env, EmbeddingFineTuneOptions options, IReadOnlyList<string> first, IReadOnlyList<string> second,
        IReadOnlyList<float>? targets, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(env);
        EmbeddingFineTuneOptionsValidation.Validate(options);
        var objective = new ContrastiveObjective(options.Loss, options.Scale, options.Symmetric, options.Margin);
        CheckPairs(options, objective, first, second, targets);
        log ??= _ => { };
        TorchRuntime.EnsureLoaded();
        var training = options.Training ?? EmbeddingFineTuneOptions.DefaultTraining;

        var package = options.BaseModel is { } pretrained ? ModelPackage.FromPretrained(pretrained) : ModelPackage.FromCheckpoint(options.BaseModelFolder!);
        var folder = package.BaseFolder!;
        var folderPooling = SentenceTransformersFolder.Pooling(folder);
        var pooling = TextEmbeddingEstimator.ResolvePooling(options.Pooling, package, folderPooling);
        if (options.Dimensions is { } dimensions) TextEmbeddingOptionsValidation.CheckDimensions(dimensions, package.Config.HiddenSize, "EmbeddingFineTuneOptions.Dimensions");
        int requested = options.MaxSequenceLength ?? SentenceTransformersFolder.MaxSequenceLength(folder) ?? SentenceTransformersFolder.DefaultMaxSequenceLength;
        var limits = EncoderInputLimits.Create(package.Config, package.Tokenizer, requested, options.MaxSequenceLength is null, 0, false, package.NameInMessages);
        foreach (var note in limits.Notes) log("FineTuneEmbeddings: " + note);
        EncodedInput Encode(string text, int row, string column) =>
            limits.Check(package.Tokenizer.Encode(text, null, limits.MaxLength, TruncationStrategy.LongestFirst), $"Row {row} ({column})");
        var pairs = Enumerable.Range(0, first.Count).Select(i => new ContrastivePair(
            Encode(first[i], i, options.FirstColumnName), Encode(second[i], i, options.SecondColumnName), targets?[i] ?? float.NaN)).ToList();

        ContrastiveNetwork network;
        using (var rng = new TorchRandomStream(training.Seed)) network = rng.Use(() => ContrastiveNetwork.Build(package, options.Peft, pooling, objective));
        try
        {
            log($"FineTuneEmbeddings: {package.Describe()}; {options.Loss} loss, {pooling} pooling, {options.Peft.Method}; {ParameterCounts.Summary(network)}; {pairs.Count} pairs.");
            bool inBatchNegatives = options.Loss == ContrastiveLoss.MultipleNegativesRanking;
            var source = new ContrastiveBatchSource(pairs, package.Tokenizer.PadTokenId, objective.NeedsTargets, inBatchNegatives ? (first, second) : null);
            var history = new Trainer<ContrastiveBatch>(training, options.Progress, log).Train(network, source, null, options.CancellationToken);
            log($"FineTuneEmbeddings: done after {history.GlobalStep} steps ({history.StopReason}).");
            var encoder = network.ToPlainEncoder();
            var embedding = new TextEmbeddingOptions
            {
                BaseModelFolder = folder, InputColumnName = options.InputColumnName, OutputColumnName = options.OutputColumnName, Pooling = pooling,
                Normalize = options.Normalize, Dimensions = options.Dimensions, MaxSequenceLength = options.MaxSequenceLength,
            };
            // Named as what it is: the metadata's model id must not pass a fine-tuned model off as its base.
            return TextEmbeddingEstimator.Build(env, embedding, package with { BaseName = package.BaseName + " (fine-tuned)" }, encoder, limits.MaxLength, folderPooling);
        }
        finally
        {
            network.Dispose();
        }
    }

    /// <summary>The pairs as the loss needs them; errors name the row and the column.</summary>
    static void CheckPairs(EmbeddingFineTuneOptions options, ContrastiveObjective objective, IReadOnlyList<string> first, IReadOnlyList<string> second, IReadOnlyList<float>? targets)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != second.Count)
            throw new ArgumentException($"FineTuneEmbeddings: {first.Count} first texts but {second.Count} second texts; every pair needs both.", nameof(second));
        if (objective.NeedsTargets && targets is null)
            throw new ArgumentNullException(nameof(targets), $"FineTuneEmbeddings: {options.Loss} needs a target per pair.");
        if (targets is not null && targets.Count != first.Count)
            throw new ArgumentException($"FineTuneEmbeddings: {first.Count} pairs but {targets.Count} targets.", nameof(targets));
        int minimum = options.Loss is ContrastiveLoss.MultipleNegativesRanking or ContrastiveLoss.CoSent ? 2 : 1;
        if (first.Count < minimum)
            throw new InvalidOperationException($"FineTuneEmbeddings: the training data has {first.Count} pairs; {options.Loss} needs at least {minimum} " +
                (minimum == 2 ? "(it compares the pairs of a batch with each other)." : "."));
        for (int i = 0; i < first.Count; i++)
        {
            if (first[i] is null || second[i] is null) throw new InvalidDataException($"Training data, row index {i}: a text is missing (null).");
            if (!objective.NeedsTargets) continue;
            float t = targets![i];
            if (options.Loss == ContrastiveLoss.Contrastive ? t is not (0f or 1f) : !float.IsFinite(t))
                throw new InvalidDataException($"Training data, row index {i}: {(options.Loss == ContrastiveLoss.Contrastive ? $"label column '{options.LabelColumnName}' holds {t}; Contrastive expects 0 or 1 (or Boolean)" : $"score column '{options.ScoreColumnName}' holds {t}; {options.Loss} expects a finite number")}.");
        }
    }

    static SchemaShape.Column Require(SchemaShape schema, string name, string role)
    {
        if (!schema.TryFindColumn(name, out var column))
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' not found in the input schema (columns: {string.Join(", ", schema.Select(c => c.Name))}).");
        return column;
    }

    static void RequireText(SchemaShape schema, string name, string role)
    {
        var column = Require(schema, name, role);
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has type {Describe(column)}; expected String.");
    }

    static string Describe(SchemaShape.Column column) => column.ItemType + (column.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector");
}
