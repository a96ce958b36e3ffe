using MLNet.FineTune.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Heads;

/// <summary>
/// A fitted <see cref="ClassificationHead"/>: the classes learnt from the training labels, cross-entropy, and ML.NET's
/// classifier columns. Single-text or sentence-pair classification. Labels arrive as ML.NET users pass them: string, bool, key, or
/// number. Output follows ML.NET: a Boolean label gives binary-classifier columns (<c>Score</c> = logit margin,
/// <c>Probability</c>, <c>PredictedLabel</c> bool) for <c>BinaryClassification.Evaluate</c>; any other label gives
/// multiclass columns (<c>Score</c> = vector of class probabilities with slot names, <c>PredictedLabel</c> = key whose
/// key values are the original labels) for <c>MulticlassClassification.Evaluate</c>.
/// </summary>
[HeadKind(ClassificationHead.KindName)]
internal sealed class FittedClassificationHead : IFittedHead, IRestorableHead<FittedClassificationHead>
{
    readonly string[] labels;
    readonly string labelKind;                 // "bool", "key", "text" or "number": how raw labels map to classes
    readonly Dictionary<string, int> index;

    public FittedClassificationHead(string name, string labelColumnName, string[] labels, string labelKind, double labelSmoothing, float[]? classWeights, double lossWeight = 1)
    {
        Name = name; LabelColumnName = labelColumnName; this.labels = labels; this.labelKind = labelKind;
        LabelSmoothing = labelSmoothing; ClassWeights = classWeights; LossWeight = lossWeight;
        index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
    }

    public string Name { get; }
    public string LabelColumnName { get; }
    public double LabelSmoothing { get; }
    public double LossWeight { get; }
    /// <summary>Optional per-class loss weights (imbalanced labels), in <see cref="LabelNames"/> order.</summary>
    public float[]? ClassWeights { get; }
    public bool IsBinary => labelKind == "bool";
    public int OutputSize => labels.Length;
    public IReadOnlyList<string> LabelNames => labels;

    /// <summary>The classes in logit order and how raw labels map to them, learnt from the training labels.</summary>
    public static (string[] Labels, string Kind) LearnLabels(DataViewSchema.Column column, IReadOnlyList<object?> values, string labelColumnName)
    {
        var type = column.Type;
        string[] labels;
        string labelKind;
        if (type is BooleanDataViewType) { labelKind = "bool"; labels = new[] { "False", "True" }; }
        else if (type is KeyDataViewType key)
        {
            labelKind = "key";
            VBuffer<ReadOnlyMemory<char>> names = default;
            if (column.Annotations.Schema.GetColumnOrNull("KeyValues") != null)
            {
                column.GetKeyValues(ref names);
                labels = names.DenseValues().Select(n => n.ToString()).ToArray();
            }
            else labels = Enumerable.Range(1, (int)key.Count).Select(i => i.ToString()).ToArray();
        }
        else
        {
            labelKind = type is TextDataViewType ? "text" : "number";
            // NaN (ML.NET's missing value) or an infinity would otherwise become a class named "NaN" or "∞".
            int bad = values.ToList().FindIndex(v => v is float f && !float.IsFinite(f) || v is double d && !double.IsFinite(d));
            if (bad >= 0)
                throw new InvalidDataException($"Label column '{labelColumnName}', row index {bad}: {Raw(values[bad])} is not a class; number labels must be finite " +
                    "(NaN is ML.NET's missing value: drop or fill such rows).");
            labels = values.Where(v => v != null).Select(Raw).Where(r => r.Length > 0).Distinct().OrderBy(s => s, labelKind == "number" ? NumericOrder : StringComparer.Ordinal).ToArray();
        }
        if (labels.Length < 2)
            throw new InvalidOperationException($"Label column '{labelColumnName}' has {labels.Length} distinct value(s) in the training data; classification needs at least 2.");
        return (labels, labelKind);
    }

    static readonly Comparer<string> NumericOrder = Comparer<string>.Create((a, b) => double.Parse(a).CompareTo(double.Parse(b)));

    static string Raw(object? v) => v switch
    {
        null => "",
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    public bool IsTokenLevel => false;

    public float[] EncodeTarget(object? value, EncodedInput encoding) => new[] { EncodeOne(value) };

    float EncodeOne(object? value)
    {
        switch (labelKind)
        {
            case "bool": return value is true ? 1 : 0;
            case "key":
                var k = Convert.ToUInt32(value);
                if (k == 0 || k > labels.Length) throw new InvalidDataException($"Label column '{LabelColumnName}': key value {k} is missing or out of range 1..{labels.Length}.");
                return k - 1;
            default:
                var raw = Raw(value);
                if (raw.Length == 0) return float.NaN; // no label for this head (multi-task rows from another data set)
                return index.TryGetValue(raw, out var i) ? i
                    : throw new InvalidDataException($"Label column '{LabelColumnName}': value '{raw}' was not seen in training (known: {string.Join(", ", labels.Take(20))}).");
        }
    }

    public ClassifierModule CreateModule(TransformerConfig config) => ClassifierModule.ForSequence(config, OutputSize);

    public Tensor Loss(Tensor logits, Tensor targets)
    {
        using var weight = ClassWeights is null ? null : tensor(ClassWeights, device: logits.device);
        return nn.functional.cross_entropy(logits, targets.to(ScalarType.Int64), weight: weight, label_smoothing: LabelSmoothing);
    }

    public IReadOnlyList<ScoredColumn> OutputColumns(string prefix) => HeadColumns.Classification(prefix, labels, IsBinary);

    public Array[] Decode(Tensor logits, IReadOnlyList<EncodedInput> encodings, IReadOnlyList<string> texts)
    {
        using var scope = NewDisposeScope();
        var floats = logits.to(ScalarType.Float32).cpu();
        var probabilities = nn.functional.softmax(floats, 1).data<float>().ToArray();
        return HeadColumns.DecodeClassification(floats.data<float>().ToArray(), probabilities, labels.Length, IsBinary);
    }

    public IReadOnlyDictionary<string, double> Evaluate(Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var correct = logits.argmax(1).eq(targets.to(ScalarType.Int64)).to(ScalarType.Float32).mean().item<float>();
        var loss = nn.functional.cross_entropy(logits, targets.to(ScalarType.Int64)).item<float>();
        return new Dictionary<string, double> { ["accuracy"] = correct, ["loss"] = loss };
    }

    public HeadDescription Describe() => new(ClassificationHead.KindName, Name, LabelColumnName, labels, labelKind, LabelSmoothing, ClassWeights, LossWeight: LossWeight);

    /// <summary>A head from its saved description (finetune.json in a model zip), checked: the zip may have been edited.</summary>
    public static FittedClassificationHead Restore(HeadDescription d)
    {
        string where = $"model zip finetune.json, head '{d.Name}'";
        if (d.LabelNames.Count == 0) throw new InvalidDataException($"{where}: LabelNames is empty.");
        if (d.LabelNames.GroupBy(l => l, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidDataException($"{where}: LabelNames lists '{twice.Key}' twice.");
        if (d.ClassWeights is { } w && w.Length != d.LabelNames.Count)
            throw new InvalidDataException($"{where}: {w.Length} ClassWeights for {d.LabelNames.Count} labels.");
        if (d.LabelKind is not ("bool" or "key" or "text" or "number"))
            throw new InvalidDataException($"{where}: LabelKind '{d.LabelKind}' is not one of bool, key, text, number.");
        return new(d.Name, d.LabelColumnName, d.LabelNames.ToArray(), d.LabelKind, d.LabelSmoothing, d.ClassWeights, d.LossWeight);
    }
}
