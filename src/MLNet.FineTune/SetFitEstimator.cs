using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using MLNet.FineTune.Data;
using MLNet.FineTune.Embeddings;

namespace MLNet.FineTune;

/// <summary>
/// SetFit (few-shot text classification): pairs drawn from the labelled texts fine-tune a sentence-embedding body
/// contrastively, then a classifier head is fitted on its embeddings. Created by
/// <c>mlContext.MulticlassClassification.Trainers.SetFit(options)</c>; the fitted model outputs ML.NET's usual
/// <c>Score</c> (a vector, one probability per class) and <c>PredictedLabel</c> (the label column's own type), so
/// <c>MulticlassClassification.Evaluate</c> works on its predictions unchanged.
/// </summary>
/// <remarks>
/// The fitted model is an ML.NET <see cref="TransformerChain{TLastTransformer}"/> of ML.NET's own pieces rather than a
/// dedicated transformer: [MapValueToKey(label)] → the fine-tuned <see cref="TextEmbeddingTransformer"/> →
/// LbfgsMaximumEntropy → [MapKeyToValue(PredictedLabel)]. Each piece already saves and loads itself, so the chain
/// persists with <c>mlContext.Model.Save/Load</c> with no format of its own to version, and a user sees (and can reuse)
/// every stage: the embedding model, the linear model's weights, the label mapping. The label conversions are there
/// only when the label is not already a key, exactly as a hand-written ML.NET multiclass pipeline would have them.
/// </remarks>
public sealed class SetFitEstimator : IEstimator<TransformerChain<ITransformer>>
{
    /// <summary>The embedding column the head reads (an intermediate column of the fitted chain).</summary>
    public const string EmbeddingColumnName = "SetFitEmbedding";

    readonly IHostEnvironment context;

    public SetFitEstimator(IHostEnvironment context, SetFitOptions options)
    {
        this.context = context ?? throw new ArgumentNullException(nameof(context));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        SetFitOptionsValidation.Validate(options);
    }

    public SetFitOptions Options { get; }

    string Label => Options.LabelColumnName;

    /// <summary>Checks the label column; the output schema is the composed ML.NET pieces' own (the embedding step checks the text column).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (!inputSchema.TryFindColumn(Label, out var label))
            throw new ArgumentOutOfRangeException(Label, $"Label column '{Label}' not found in the input schema.");
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || !(label.IsKey || SetFitLabels.IsSupported(label.ItemType)))
            throw new ArgumentOutOfRangeException(Label, $"Label column '{Label}' has type {label.ItemType}{(label.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector")}; " +
                "SetFit takes a String, Boolean, key or number label.");
        bool toKey = !label.IsKey;
        var transforms = new TransformsCatalog(context);
        var schema = inputSchema;
        if (toKey) schema = transforms.Conversion.MapValueToKey(Label).GetOutputSchema(schema);
        schema = new TextEmbeddingEstimator(context, EmbeddingOptions).GetOutputSchema(schema);
        schema = Options.Head == SetFitHead.Differentiable ? DifferentiableHeadSchema(schema) : Head().GetOutputSchema(schema);
        if (toKey) schema = transforms.Conversion.MapKeyToValue(DefaultColumnNames.PredictedLabel).GetOutputSchema(schema);
        return schema;
    }

    /// <summary>Reads the texts and labels, fine-tunes the body on SetFit's pairs, then fits the head on its embeddings.</summary>
    public TransformerChain<ITransformer> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema));
        using var channel = context.Register("SetFit").Start("Fit");
        Action<string> log = m => channel.Info(m);

        var texts = DataViewColumns.ReadText(input, Options.TextColumnName);
        var classes = SetFitLabels.ClassIds(input, Label);
        var pairs = Options.NumIterations is int iterations
            ? SetFitPairs.PerIteration(classes, iterations, Options.Seed)
            : SetFitPairs.Oversampling(classes, Options.Seed);
        log($"SetFit: {texts.Count} texts in {classes.Distinct().Count()} classes; {pairs.Count} pairs " +
            (Options.NumIterations is int n ? $"({n} iterations)" : "(all pairs, oversampled to balance)") + $"; body loss {Options.Loss}.");

        var body = EmbeddingFineTuneEstimator.Train(context, BodyOptions(),
            pairs.Select(p => texts[p.First]).ToList(), pairs.Select(p => texts[p.Second]).ToList(), pairs.Select(p => p.Target).ToList(), log);

        var transforms = new TransformsCatalog(context);
        var parts = new List<ITransformer>();
        IDataView data = input;
        ITransformer Add(ITransformer part) { parts.Add(part); data = part.Transform(data); return part; }
        bool toKey = input.Schema[Label].Type is not KeyDataViewType;
        if (toKey) Add(transforms.Conversion.MapValueToKey(Label).Fit(data));
        var labelled = data;
        Add(body);
        if (Options.Head == SetFitHead.Differentiable)
        {
            Add(FitDifferentiableHead(body, texts, labelled.Schema[Label], DataViewColumns.ReadAny(labelled, Label), log));
            log("SetFit: head fitted (differentiable SetFitHead" + (Options.DifferentiableHead.EndToEnd ? ", body trained end to end)." : ", body frozen)."));
        }
        else
        {
            // L-BFGS reads its data once per iteration; cached, the body encodes each training text once instead of ~100 times.
            Add(Head().Fit(new DataOperationsCatalog(context).Cache(data, EmbeddingColumnName, Label)));
            log("SetFit: head fitted (LbfgsMaximumEntropy on the embeddings).");
        }
        if (toKey) Add(transforms.Conversion.MapKeyToValue(DefaultColumnNames.PredictedLabel).Fit(data));
        return new TransformerChain<ITransformer>(parts.ToArray());
    }

    /// <summary>
    /// Trains SetFit's SetFitHead on the body's embeddings of the training texts; the classes are the label keys' order
    /// (key k is class k − 1), so the head's PredictedLabel keys mean what the label's keys mean.
    /// </summary>
    SetFitHeadTransformer FitDifferentiableHead(TextEmbeddingTransformer body, IReadOnlyList<string> texts, DataViewSchema.Column keyColumn,
        IReadOnlyList<object?> keys, Action<string> log)
    {
        int classCount = checked((int)((KeyDataViewType)keyColumn.Type).Count);
        var classes = keys.Select((k, row) => k is uint key && key >= 1 && key <= classCount ? (int)key - 1
            : throw new InvalidDataException($"SetFit: label column '{Label}', row index {row}: key {k} is missing or out of range 1..{classCount}.")).ToList();
        var o = Options.DifferentiableHead;
        var settings = new HeadTrainingSettings(o.Epochs, o.BatchSize, o.LearningRate, o.WeightDecay, o.EndToEnd, o.BodyLearningRate, o.Temperature, Options.Seed);
        var weights = SetFitHeadTraining.Train(body.Encoder, body.Package.Tokenizer, body.MaxSequenceLength, body.Settings, texts, classes, classCount,
            settings, log, Options.CancellationToken);
        return new SetFitHeadTransformer(context, EmbeddingColumnName, weights, o.Temperature, LabelKeyValues.Read(keyColumn));
    }

    /// <summary>The differentiable head's columns: Score (class probabilities) and PredictedLabel (a key with the label's key values).</summary>
    SchemaShape DifferentiableHeadSchema(SchemaShape schema)
    {
        schema.TryFindColumn(Label, out var label);
        var columns = schema.ToDictionary(c => c.Name);
        columns[DefaultColumnNames.Score] = new SchemaShape.Column(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
        columns[DefaultColumnNames.PredictedLabel] = new SchemaShape.Column(DefaultColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar,
            NumberDataViewType.UInt32, true, label.Annotations);
        return new SchemaShape(columns.Values);
    }

    /// <summary>
    /// SetFit's default head is scikit-learn's LogisticRegression(): multinomial, L2 penalty only with C = 1, unpenalised
    /// intercept. ML.NET's L-BFGS minimises (Σ loss + ½·L2·‖w‖²) / Σ weights with the bias unpenalised, so L2 = 1 and
    /// L1 = 0 is the same minimiser. One thread: the same data gives the same weights.
    /// </summary>
    LbfgsMaximumEntropyMulticlassTrainer Head() =>
        new MulticlassClassificationCatalog(context).Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = Label,
            FeatureColumnName = EmbeddingColumnName,
            L1Regularization = 0,
            L2Regularization = 1,
            NumberOfThreads = 1,
        });

    TextEmbeddingOptions EmbeddingOptions => new()
    {
        BaseModel = Options.BaseModel,
        BaseModelFolder = Options.BaseModelFolder,
        InputColumnName = Options.TextColumnName,
        OutputColumnName = EmbeddingColumnName,
        Pooling = Options.Pooling,
        Normalize = Options.Normalize,
        MaxSequenceLength = Options.MaxSequenceLength,
    };

    EmbeddingFineTuneOptions BodyOptions() => new()
    {
        BaseModel = Options.BaseModel,
        BaseModelFolder = Options.BaseModelFolder,
        Loss = Options.Loss,
        Pooling = Options.Pooling,
        Normalize = Options.Normalize,
        MaxSequenceLength = Options.MaxSequenceLength,
        InputColumnName = Options.TextColumnName,
        OutputColumnName = EmbeddingColumnName,
        Peft = Options.Peft,
        Training = (Options.Training ?? SetFitDefaults.Body) with { Seed = Options.Seed },
        Progress = Options.Progress,
        CancellationToken = Options.CancellationToken,
    };
}
