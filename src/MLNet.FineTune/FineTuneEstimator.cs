using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Scoring;
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
        FineTuneOptionsValidation.Validate(options);
        declaredHeads = options.Heads ?? new ITaskHead[]
        {
            options.Task == FineTuneTask.Regression
                ? new RegressionHead("regression", options.LabelColumnName)
                : new ClassificationHead("classification", options.LabelColumnName),
        };
    }

    readonly IReadOnlyList<ITaskHead> declaredHeads;

    public FineTuneOptions Options => options;

    /// <summary>The heads to train: <see cref="FineTuneOptions.Heads"/>, or one head for <see cref="FineTuneOptions.Task"/>.</summary>
    IReadOnlyList<ITaskHead> Heads => declaredHeads;

    string OutputPrefix(ITaskHead head) => Heads.Count == 1 ? options.OutputColumnPrefix : options.OutputColumnPrefix + head.Name + ".";

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
        var result = inputSchema.ToDictionary(c => c.Name);
        foreach (var head in Heads)
        {
            if (!inputSchema.TryFindColumn(head.LabelColumnName, out var label))
                throw new ArgumentOutOfRangeException(head.LabelColumnName, $"Label column '{head.LabelColumnName}' not found in the input schema.");
            head.ValidateLabel(label);
            foreach (var column in head.OutputShape(label, OutputPrefix(head))) result[column.Name] = column;
        }
        return new SchemaShape(result.Values);
    }

    public FineTuneTransformer Fit(IDataView input)
    {
        TorchRuntime.EnsureLoaded();
        GetOutputSchema(SchemaShape.Create(input.Schema));
        if (options.ValidationSet is { } validationSet) CheckValidationSchema(input.Schema, validationSet.Schema);
        // Messages go to MLContext.Log, like every ML.NET trainer's.
        using var channel = context.Register("FineTune").Start("Fit");
        Action<string> log = m => channel.Info(m);
        bool builtIn = options.BaseModelFolder is null && options.BaseModel is null;
        var training = options.Training ?? (builtIn ? FineTuneDefaults.ForBuiltInModel : FineTuneDefaults.ForCheckpoint);

        // 1. Data: texts and raw labels; each head learns its labels (the declarations are not modified).
        var texts = DataViewColumns.ReadText(input, options.TextColumnName);
        var pairs = options.SecondTextColumnName is null ? null : DataViewColumns.ReadText(input, options.SecondTextColumnName);
        if (texts.Count == 0) throw new InvalidOperationException($"The training data has no rows; FineTune needs at least one row with a '{options.TextColumnName}' text and a label.");
        var defaults = new HeadTrainingDefaults(training.LabelSmoothing);
        var labels = Heads.Select(h => DataViewColumns.ReadAny(input, h.LabelColumnName)).ToList();
        var heads = Heads.Select((h, i) => h.Fit(input.Schema[h.LabelColumnName], labels[i], defaults)).ToList();

        // 2. Base model: a user's checkpoint, or the built-in model with a vocabulary learnt from the texts.
        ModelPackage package;
        if (options.BaseModel is { } pretrained) package = ModelPackage.FromPretrained(pretrained, options.Dropout);
        else if (options.BaseModelFolder is { } folder) package = ModelPackage.FromCheckpoint(folder, options.Dropout);
        else
        {
            package = ModelPackage.BuiltIn(options.BuiltInModel, texts.Concat(pairs ?? Enumerable.Empty<string>()));
            log($"FineTune: no BaseModelFolder given; training the built-in model from scratch (vocabulary {package.Config.VocabSize} learnt from the training texts).");
        }
        // The initial weights come from this run's own random stream (seeded with TrainingOptions.Seed), whatever else runs at once.
        TaskNetwork network;
        using (var rng = new TorchRandomStream(training.Seed)) network = rng.Use(() => TaskNetworkBuilder.Build(package, heads, options.Peft));
        log($"FineTune: {package.Describe()}; {ParameterCounts.Summary(network)}; {texts.Count} training rows.");

        // 3. Tokenize once; hold out validation rows.
        var scorer = Scorer(package, network);
        foreach (var note in scorer.Notes) channel.Warning("FineTune: " + note);
        var encodings = scorer.Encode(texts, pairs);
        var examples = Examples("Training data", encodings, texts, labels, heads);
        var (train, validation) = Split(examples, heads, scorer, training.Seed);

        // 4. Train.
        var tokenLevel = heads.Select(h => h.IsTokenLevel).ToArray();
        var source = new ListBatchSource<TextExample, TextBatch>(train, e => e.Encoding.Length,
            batch => TextBatchCollator.Collate(batch.Select(b => b.Encoding).ToArray(), batch.Select(b => b.Targets).ToArray(), package.Tokenizer.PadTokenId, tokenLevel),
            e => e.LabelledHeads(tokenLevel), TextExample.Fingerprint(train));
        if (training.TaskSampling != TaskSampling.Mixed) log("FineTune: task groups are the heads a row is labelled for: " + DescribeTaskGroups(train, heads, tokenLevel) + ".");
        Func<IReadOnlyDictionary<string, double>>? evaluate = validation.Count == 0 ? null : () => Evaluate(network, validation, package.Tokenizer.PadTokenId, tokenLevel);
        var trainer = new Trainer<TextBatch>(training, options.Progress, log);
        var history = trainer.Train(network, source, evaluate, options.CancellationToken);
        network.eval();
        var metrics = evaluate?.Invoke() ?? new Dictionary<string, double>();
        log($"FineTune: done after {history.GlobalStep} steps ({history.StopReason}); " + string.Join(", ", metrics.Select(m => $"{m.Key}={m.Value:F4}")));
        foreach (var warning in CollapsedTokenHeads(network, validation.Count > 0 ? validation : train, package.Tokenizer.PadTokenId, tokenLevel))
            channel.Warning(warning);
        var card = ModelCard.Create(package, network, training, texts, pairs, labels, metrics, history, options.Peft.Method + (options.Peft.AdapterPerTask ? " (one adapter per task)" : ""));
        var settings = new ScoringSettings(InputColumns, options.OutputColumnPrefix, scorer.MaxLength, options.Truncation, options.ScoringBatchSize, options.Peft, options.WeightsInZip);
        return new FineTuneTransformer(context, package, network, settings, history, card);
    }

    FineTuneScorer Scorer(ModelPackage package, TaskNetwork network) =>
        new(network, package.Tokenizer, InputColumns, options.OutputColumnPrefix, options.MaxSequenceLength, options.Truncation, options.ScoringBatchSize,
            maxLengthMayShrink: options.MaxSequenceLengthIsDefault, model: package.NameInMessages);

    (List<TextExample> Train, List<TextExample> Validation) Split(List<TextExample> examples, IReadOnlyList<IFittedHead> heads, FineTuneScorer scorer, int seed)
    {
        if (options.ValidationSet is { } valid)
        {
            var vTexts = DataViewColumns.ReadText(valid, options.TextColumnName);
            var vPairs = options.SecondTextColumnName is null ? null : DataViewColumns.ReadText(valid, options.SecondTextColumnName);
            var vLabels = heads.Select(h => DataViewColumns.ReadAny(valid, h.LabelColumnName)).ToList();
            var vEnc = scorer.Encode(vTexts, vPairs);
            return (examples, Examples("ValidationSet", vEnc, vTexts, vLabels, heads));
        }
        if (options.ValidationFraction <= 0) return (examples, new List<TextExample>());
        var order = Enumerable.Range(0, examples.Count).ToArray();
        new Random(seed).Shuffle(order);
        int held = Math.Max(1, (int)Math.Round(examples.Count * options.ValidationFraction));
        if (held >= examples.Count)
            throw new ArgumentOutOfRangeException(nameof(FineTuneOptions.ValidationFraction), options.ValidationFraction,
                $"ValidationFraction {options.ValidationFraction} holds out {held} of the {examples.Count} training rows, leaving none to train on; " +
                "lower it, give more rows, or pass a ValidationSet.");
        var heldSet = order.Take(held).ToHashSet();
        return (examples.Where((_, i) => !heldSet.Contains(i)).ToList(), examples.Where((_, i) => heldSet.Contains(i)).ToList());
    }

    /// <summary>
    /// Training examples: each row's targets for every head. A label a head cannot use (a NaN class, tags that do not match
    /// the words, a class unseen in training) is refused with the data set, the row index and the column.
    /// </summary>
    static List<TextExample> Examples(string dataSet, IReadOnlyList<EncodedInput> encodings, IReadOnlyList<string> texts,
        IReadOnlyList<List<object?>> labels, IReadOnlyList<IFittedHead> heads)
    {
        var examples = new List<TextExample>(encodings.Count);
        for (int r = 0; r < encodings.Count; r++)
        {
            try
            {
                var targets = new float[heads.Count][];
                for (int h = 0; h < heads.Count; h++)
                {
                    heads[h].CheckRow(labels[h][r], texts[r]);
                    targets[h] = heads[h].EncodeTarget(labels[h][r], encodings[r]);
                }
                var example = new TextExample(encodings[r], targets);
                // NaN means "not labelled for this head" only when another head can use the row (multi-task training).
                if (heads.Count == 1 && !heads[0].IsTokenLevel && !example.IsLabelled(0, tokenLevel: false))
                    throw new InvalidDataException($"label column '{heads[0].LabelColumnName}': '{labels[0][r]}' is not a finite number " +
                        "(a missing label is allowed only in multi-task training, where another head labels the row).");
                examples.Add(example);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException)
            {
                throw new InvalidDataException($"{dataSet}, row index {r}: {e.Message}", e);
            }
        }
        return examples;
    }

    /// <summary>
    /// The validation set must have the training data's text and label columns with the same types: a label column of
    /// another type would be silently reinterpreted (a key as a number, a number as text).
    /// </summary>
    void CheckValidationSchema(DataViewSchema training, DataViewSchema validation)
    {
        foreach (var name in InputColumns) DataViewColumns.RequireText(validation, name, "ValidationSet text");
        foreach (var head in Heads)
        {
            var column = DataViewColumns.Require(validation, head.LabelColumnName, "ValidationSet label");
            var expected = training[head.LabelColumnName].Type;
            bool same = expected is VectorDataViewType v ? column.Type is VectorDataViewType w && w.ItemType.Equals(v.ItemType) : column.Type.Equals(expected);
            if (!same)
                throw new ArgumentOutOfRangeException(head.LabelColumnName,
                    $"ValidationSet label column '{head.LabelColumnName}' has type {column.Type}; the training data's has type {expected}. Give both the same type (labels are not converted).");
        }
    }

    /// <summary>
    /// Validation metrics in eval mode: each head's metrics over the rows labelled for it (multi-task rows may lack a head's
    /// label: NaN, or -100 on every token), averaged over batches by labelled rows, prefixed by head name when several.
    /// A head with no labelled validation row reports nothing.
    /// </summary>
    internal static IReadOnlyDictionary<string, double> Evaluate(TaskNetwork network, IReadOnlyList<TextExample> examples, int padId, bool[] tokenLevel)
    {
        var sums = new Dictionary<string, double>();
        var rows = new Dictionary<string, int>();
        using var _ = no_grad();
        foreach (var chunk in examples.Chunk(64))
        {
            using var scope = NewDisposeScope();
            var batch = TextBatchCollator.Collate(chunk.Select(c => c.Encoding).ToArray(), chunk.Select(c => c.Targets).ToArray(), padId, tokenLevel);
            var logits = network.Forward(batch);
            for (int h = 0; h < network.Tasks.Count; h++)
            {
                var labelled = Enumerable.Range(0, chunk.Length).Where(r => chunk[r].IsLabelled(h, tokenLevel[h])).Select(r => (long)r).ToArray();
                if (labelled.Length == 0) continue;
                var (headLogits, targets) = (logits[h], batch.Targets[h]);
                if (labelled.Length < chunk.Length)
                {
                    var index = tensor(labelled);
                    (headLogits, targets) = (headLogits.index_select(0, index), targets.index_select(0, index));
                }
                foreach (var (k, v) in network.Tasks[h].Evaluate(headLogits, targets))
                {
                    var key = network.Tasks.Count == 1 ? k : $"{network.Tasks[h].Name}.{k}";
                    sums[key] = sums.GetValueOrDefault(key) + v * labelled.Length;
                    rows[key] = rows.GetValueOrDefault(key) + labelled.Length;
                }
            }
        }
        var result = sums.ToDictionary(kv => kv.Key, kv => kv.Value / rows[kv.Key]);
        if (network.Tasks.Count > 1) result["loss"] = result.Where(kv => kv.Key.EndsWith(".loss")).Sum(kv => kv.Value);
        return result;
    }

    static string DescribeTaskGroups(IReadOnlyList<TextExample> rows, IReadOnlyList<IFittedHead> heads, bool[] tokenLevel) =>
        string.Join(", ", rows.GroupBy(r => r.LabelledHeads(tokenLevel)).OrderBy(g => g.Key).Select(g =>
            $"group {g.Key} = {(g.Key == 0 ? "(no label)" : string.Join("+", heads.Where((_, h) => (g.Key & (1 << h)) != 0).Select(h => h.Name)))}: {g.Count()} rows"));

    /// <summary>
    /// A token head that predicts one tag for (nearly) every token while its labels have several: typical of rare entities
    /// (WNUT-17) with default settings, and otherwise silent. Checked on up to 256 held-out (or training) rows.
    /// </summary>
    internal static IEnumerable<string> CollapsedTokenHeads(TaskNetwork network, IReadOnlyList<TextExample> rows, int padId, bool[] tokenLevel)
    {
        if (!tokenLevel.Any(t => t) || rows.Count == 0) yield break;
        var sample = rows.Take(256).ToArray();
        var predicted = new Dictionary<int, Dictionary<long, long>>();
        var truthClasses = new Dictionary<int, HashSet<long>>();
        using (no_grad())
            foreach (var chunk in sample.Chunk(64))
            {
                using var scope = NewDisposeScope();
                var batch = TextBatchCollator.Collate(chunk.Select(c => c.Encoding).ToArray(), chunk.Select(c => c.Targets).ToArray(), padId, tokenLevel);
                var logits = network.Forward(batch);
                for (int h = 0; h < tokenLevel.Length; h++)
                {
                    if (!tokenLevel[h]) continue;
                    var targets = batch.Targets[h].to(ScalarType.Int64).flatten();
                    var real = targets.ne(Losses.IgnoreIndex);
                    var guesses = logits[h].argmax(-1).flatten().masked_select(real).data<long>().ToArray();
                    var counts = predicted.TryGetValue(h, out var c) ? c : predicted[h] = new();
                    foreach (var g in guesses) counts[g] = counts.GetValueOrDefault(g) + 1;
                    var classes = truthClasses.TryGetValue(h, out var t) ? t : truthClasses[h] = new();
                    classes.UnionWith(targets.masked_select(real).data<long>().ToArray());
                }
            }
        foreach (var (h, counts) in predicted)
        {
            long total = counts.Values.Sum();
            var (top, n) = counts.MaxBy(kv => kv.Value);
            if (total >= 20 && truthClasses[h].Count > 1 && n >= 0.995 * total)
                yield return $"FineTune: head '{network.Tasks[h].Name}' predicts '{network.Tasks[h].LabelNames[(int)top]}' for {100.0 * n / total:F1}% of tokens " +
                    $"although its labels have {truthClasses[h].Count} tags: it has not learnt the entities. Train longer or with a higher learning rate, " +
                    "or down-weight the common tag (TokenClassificationHead.TagWeights, e.g. { [\"O\"] = 0.1f }).";
        }
    }
}
