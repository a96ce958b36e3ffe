using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Engine;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune;

/// <summary>
/// Fine-tunes a transformer encoder with one or more task heads on an IDataView; <see cref="Fit"/> returns the
/// <see cref="FineTuneTransformer"/> that scores new rows. Created by <c>mlContext.Transforms.FineTune(...)</c>.
/// </summary>
public sealed class FineTuneEstimator : IEstimator<FineTuneTransformer>
{
    readonly IHostEnvironment context;
    readonly FineTuneOptions options;

    public FineTuneEstimator(IHostEnvironment context, FineTuneOptions options)
    {
        this.context = context ?? throw new ArgumentNullException(nameof(context));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.MaxSequenceLength < 8) throw new ArgumentOutOfRangeException(nameof(options), $"MaxSequenceLength must be at least 8 (got {options.MaxSequenceLength}).");
        if (options.ValidationFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), $"ValidationFraction must be in [0, 1) (got {options.ValidationFraction}).");
        int headCount = options.Heads?.Count ?? 1;
        options.Peft.ValidateAdapterPerTask(headCount);
        if (headCount > 31 && options.Training is { TaskSampling: not TaskSampling.Mixed })
            throw new ArgumentException($"TrainingOptions.TaskSampling {options.Training.TaskSampling} supports at most 31 heads (task groups are bit masks of heads); got {headCount}.", nameof(options));
    }

    public FineTuneOptions Options => options;

    IReadOnlyList<ITaskHead> CreateHeads() => options.Heads ?? new ITaskHead[]
    {
        options.Task switch
        {
            FineTuneTask.Regression => new RegressionHead("regression", options.LabelColumnName),
            _ => new ClassificationHead("classification", options.LabelColumnName, options.Training?.LabelSmoothing ?? 0),
        },
    };

    IReadOnlyList<string> InputColumns => options.SecondTextColumnName is null
        ? new[] { options.TextColumnName } : new[] { options.TextColumnName, options.SecondTextColumnName };

    /// <summary>Checks the input columns before any training; errors name the column, the expected and the actual type.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        foreach (var name in InputColumns)
        {
            if (!inputSchema.TryFindColumn(name, out var col))
                throw new ArgumentOutOfRangeException(name, $"Text column '{name}' not found in the input schema.");
            if (col.Kind != SchemaShape.Column.VectorKind.Scalar || col.ItemType is not TextDataViewType)
                throw new ArgumentOutOfRangeException(name, $"Text column '{name}' has type {col.ItemType}{(col.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector")}; expected String.");
        }
        var heads = CreateHeads();
        foreach (var head in heads)
        {
            if (!inputSchema.TryFindColumn(head.LabelColumnName, out var label))
                throw new ArgumentOutOfRangeException(head.LabelColumnName, $"Label column '{head.LabelColumnName}' not found in the input schema.");
            if (!head.IsTokenLevel && label.Kind != SchemaShape.Column.VectorKind.Scalar)
                throw new ArgumentOutOfRangeException(head.LabelColumnName, $"Label column '{head.LabelColumnName}' is a vector; expected a scalar label.");
            if (!head.IsTokenLevel) head.ValidateLabelType(label.IsKey ? new KeyDataViewType(typeof(uint), 2) : label.ItemType);
            else head.ValidateLabelType(label.Kind == SchemaShape.Column.VectorKind.Scalar ? label.ItemType : new VectorDataViewType((PrimitiveDataViewType)label.ItemType));
        }
        var result = inputSchema.ToDictionary(c => c.Name);
        // Output columns depend on labels seen in training; describe them by type as far as known before Fit.
        foreach (var head in heads)
        {
            string prefix = heads.Count == 1 ? options.OutputColumnPrefix : options.OutputColumnPrefix + head.Name + ".";
            foreach (var (name, kind, type, isKey) in PredictedShape(head, inputSchema, prefix))
                result[name] = new SchemaShape.Column(name, kind, type, isKey, Annotations(kind, isKey));
        }
        return new SchemaShape(result.Values);
    }

    // Key outputs carry their label names (KeyValues) and score vectors their class names (SlotNames), so downstream
    // estimators such as MapKeyToValue accept them before Fit.
    static SchemaShape? Annotations(SchemaShape.Column.VectorKind kind, bool isKey) =>
        isKey ? new SchemaShape(new[] { new SchemaShape.Column("KeyValues", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false) })
        : kind == SchemaShape.Column.VectorKind.Vector ? new SchemaShape(new[] { new SchemaShape.Column("SlotNames", SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false) })
        : null;

    static IEnumerable<(string, SchemaShape.Column.VectorKind, DataViewType, bool)> PredictedShape(ITaskHead head, SchemaShape input, string prefix)
    {
        input.TryFindColumn(head.LabelColumnName, out var label);
        if (head is RegressionHead) { yield return (prefix + "Score", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false); yield break; }
        if (head is ClassificationHead && label.ItemType is BooleanDataViewType)
        {
            yield return (prefix + "Score", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false);
            yield return (prefix + "Probability", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false);
            yield return (prefix + "PredictedLabel", SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false);
            yield break;
        }
        if (head is ClassificationHead)
        {
            yield return (prefix + "Score", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
            yield return (prefix + "PredictedLabel", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true);
            yield break;
        }
        foreach (var c in head.OutputColumns(prefix))
            yield return (c.Name, c.Type is VectorDataViewType ? SchemaShape.Column.VectorKind.VariableVector : SchemaShape.Column.VectorKind.Scalar, c.Type.GetItemType(), c.Type is KeyDataViewType);
    }

    public FineTuneTransformer Fit(IDataView input)
    {
        TorchRuntime.EnsureLoaded();
        if (options.WeightsInZip == ModelWeights.TrainableOnly && options.BaseModelFolder is null)
            throw new ArgumentException("WeightsInZip = TrainableOnly needs a BaseModelFolder: the built-in model has no pretrained base to share.", nameof(options));
        GetOutputSchema(SchemaShape.Create(input.Schema));
        // Messages go to MLContext.Log, like every ML.NET trainer's.
        using var channel = context.Register("FineTune").Start("Fit");
        Action<string> log = m => channel.Info(m);
        var training = options.Training ?? (options.BaseModelFolder is null ? FineTuneDefaults.ForBuiltInModel : FineTuneDefaults.ForCheckpoint);
        manual_seed(training.Seed);

        // 1. Data: texts and raw labels.
        var texts = DataViewColumns.ReadText(input, options.TextColumnName);
        var pairs = options.SecondTextColumnName is null ? null : DataViewColumns.ReadText(input, options.SecondTextColumnName);
        // Fresh copies: fitting learns label vocabularies, and the user's option objects are never modified.
        var heads = CreateHeads().Select(h => h.Describe().Restore()).ToList();
        var labels = heads.Select(h => DataViewColumns.ReadAny(input, h.LabelColumnName)).ToList();
        for (int h = 0; h < heads.Count; h++) heads[h].FitLabels(input.Schema[heads[h].LabelColumnName], labels[h]);
        if (texts.Count == 0) throw new InvalidOperationException("The training data has no rows.");

        // 2. Base model: a user's checkpoint, or the built-in model with a vocabulary learnt from the texts.
        var package = ModelPackage.Create(options, texts.Concat(pairs ?? Enumerable.Empty<string>()), log);
        var network = package.BuildNetwork(heads, options.HeadLossWeights, options.Peft);
        log($"FineTune: {package.Describe()}; {ParameterSummary(network)}; {texts.Count} training rows.");

        // 3. Tokenize once; hold out validation rows.
        var encodings = package.Scorer(network, InputColumns, options).Encode(texts, pairs);
        var examples = encodings.Select((e, r) => new TextExample(e, heads.Select((h, i) => h.EncodeTarget(labels[i][r], e)).ToArray())).ToList();
        var (train, validation) = Split(examples, input, heads, package, network, training.Seed);

        // 4. Train.
        var tokenLevel = heads.Select(h => h.IsTokenLevel).ToArray();
        var source = new ListBatchSource<TextExample, TextBatch>(train, e => e.Encoding.Length,
            batch => TextBatchCollator.Collate(batch.Select(b => b.Encoding).ToArray(), batch.Select(b => b.Targets).ToArray(), package.Tokenizer.PadTokenId, tokenLevel),
            e => e.LabelledHeads(tokenLevel));
        if (training.TaskSampling != TaskSampling.Mixed) log("FineTune: task groups are the heads a row is labelled for: " + DescribeTaskGroups(train, heads, tokenLevel) + ".");
        Func<IReadOnlyDictionary<string, double>>? evaluate = validation.Count == 0 ? null : () => Evaluate(network, validation, package.Tokenizer.PadTokenId, tokenLevel);
        var trainer = new Trainer<TextBatch>(training, options.Progress, log);
        var history = trainer.Train(network, source, evaluate, options.CancellationToken);
        network.eval();
        var metrics = evaluate?.Invoke() ?? new Dictionary<string, double>();
        log($"FineTune: done after {history.GlobalStep} steps ({history.StopReason}); " + string.Join(", ", metrics.Select(m => $"{m.Key}={m.Value:F4}")));
        var card = ModelCard.Create(package, network, options, training, texts, pairs, labels, metrics, history, options.Peft.Method + (options.Peft.AdapterPerTask ? " (one adapter per task)" : ""));
        var settings = new ScoringSettings(InputColumns, options.OutputColumnPrefix, options.MaxSequenceLength, options.Truncation, options.ScoringBatchSize, options.Peft, options.WeightsInZip);
        return new FineTuneTransformer(context, package, network, settings, history, card);
    }

    (List<TextExample> Train, List<TextExample> Validation) Split(List<TextExample> examples, IDataView input, IReadOnlyList<ITaskHead> heads,
        ModelPackage package, TaskNetwork network, int seed)
    {
        if (options.ValidationSet is { } valid)
        {
            var vTexts = DataViewColumns.ReadText(valid, options.TextColumnName);
            var vPairs = options.SecondTextColumnName is null ? null : DataViewColumns.ReadText(valid, options.SecondTextColumnName);
            var vLabels = heads.Select(h => DataViewColumns.ReadAny(valid, h.LabelColumnName)).ToList();
            var vEnc = package.Scorer(network, InputColumns, options).Encode(vTexts, vPairs);
            return (examples, vEnc.Select((e, r) => new TextExample(e, heads.Select((h, i) => h.EncodeTarget(vLabels[i][r], e)).ToArray())).ToList());
        }
        if (options.ValidationFraction <= 0) return (examples, new List<TextExample>());
        var order = Enumerable.Range(0, examples.Count).ToArray();
        new Random(seed).Shuffle(order);
        int held = Math.Max(1, (int)Math.Round(examples.Count * options.ValidationFraction));
        var heldSet = order.Take(held).ToHashSet();
        return (examples.Where((_, i) => !heldSet.Contains(i)).ToList(), examples.Where((_, i) => heldSet.Contains(i)).ToList());
    }

    /// <summary>Validation metrics in eval mode: each head's metrics averaged over batches, prefixed by head name when several.</summary>
    internal static IReadOnlyDictionary<string, double> Evaluate(TaskNetwork network, IReadOnlyList<TextExample> examples, int padId, bool[] tokenLevel)
    {
        var sums = new Dictionary<string, double>();
        int rows = 0;
        using var _ = no_grad();
        foreach (var chunk in examples.Chunk(64))
        {
            using var scope = NewDisposeScope();
            var batch = TextBatchCollator.Collate(chunk.Select(c => c.Encoding).ToArray(), chunk.Select(c => c.Targets).ToArray(), padId, tokenLevel);
            var logits = network.Forward(batch);
            for (int h = 0; h < network.Tasks.Count; h++)
                foreach (var (k, v) in network.Tasks[h].Evaluate(logits[h], batch.Targets[h]))
                {
                    var key = network.Tasks.Count == 1 ? k : $"{network.Tasks[h].Name}.{k}";
                    sums[key] = sums.GetValueOrDefault(key) + v * chunk.Length;
                }
            rows += chunk.Length;
        }
        var result = sums.ToDictionary(kv => kv.Key, kv => kv.Value / rows);
        if (network.Tasks.Count > 1) result["loss"] = result.Where(kv => kv.Key.EndsWith(".loss")).Sum(kv => kv.Value);
        return result;
    }

    static string DescribeTaskGroups(IReadOnlyList<TextExample> rows, IReadOnlyList<ITaskHead> heads, bool[] tokenLevel) =>
        string.Join(", ", rows.GroupBy(r => r.LabelledHeads(tokenLevel)).OrderBy(g => g.Key).Select(g =>
            $"group {g.Key} = {(g.Key == 0 ? "(no label)" : string.Join("+", heads.Where((_, h) => (g.Key & (1 << h)) != 0).Select(h => h.Name)))}: {g.Count()} rows"));

    internal static string ParameterSummary(nn.Module module)
    {
        long all = 0, trainable = 0;
        foreach (var (_, p) in module.named_parameters()) { all += p.numel(); if (p.requires_grad) trainable += p.numel(); }
        return $"trainable params: {trainable:N0} || all params: {all:N0} || trainable%: {100.0 * trainable / Math.Max(1, all):F4}";
    }
}
