using MLNet.FineTune.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads.TokenTagging;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Heads;

/// <summary>
/// Entity recognition / token tagging. Input: the text column holds space-separated words and the label column their
/// tags (space-separated text, or a text vector), one per word. Alignment as Hugging Face's run_ner: the first sub-word
/// of each word carries the word's tag, other sub-words and special/pad tokens are ignored in the loss (or, with
/// <see cref="LabelAllSubwords"/>, continuation sub-words get the tag with B- turned into I-). Output: predicted tags per
/// word and entity spans (type, character start/end in the text, text, confidence).
/// </summary>
public sealed record TokenClassificationHead : ITaskHead
{
    public const string KindName = "token-classification";

    public TokenClassificationHead(string name = "ner", string labelColumnName = "Tags", bool labelAllSubwords = false,
        TagScheme scheme = TagScheme.Iob2, InvalidTagHandling invalidTags = InvalidTagHandling.Repair)
    {
        Name = name; LabelColumnName = labelColumnName; LabelAllSubwords = labelAllSubwords; Scheme = scheme; InvalidTags = invalidTags;
    }

    public string Name { get; init; }
    public string LabelColumnName { get; init; }
    public bool LabelAllSubwords { get; init; }
    public TagScheme Scheme { get; init; }
    /// <summary>What to do with tags that break <see cref="Scheme"/> (an I- without its B-): repair (default) or throw.</summary>
    public InvalidTagHandling InvalidTags { get; init; }
    /// <inheritdoc/>
    public double LossWeight { get; init; } = 1;
    /// <summary>Label smoothing in [0, 1). Default null: <see cref="TrainingOptions.LabelSmoothing"/>.</summary>
    public double? LabelSmoothing { get; init; }
    /// <summary>
    /// Loss weight per tag (e.g. <c>{ ["O"] = 0.1 }</c>), tags not named weigh 1. Entities are rare next to "O" (WNUT-17:
    /// ~93% of words), and a model can settle on predicting "O" everywhere; down-weighting "O" counters that. Default null.
    /// </summary>
    public IReadOnlyDictionary<string, float>? TagWeights { get; init; }

    public void ValidateLabel(SchemaShape.Column label)
    {
        bool text = label.ItemType is TextDataViewType && !label.IsKey;
        if (!text)
            throw new ArgumentOutOfRangeException(LabelColumnName, $"Tag column '{LabelColumnName}' has type {HeadShapes.Describe(label)}; expected String (space-separated tags) or a vector of String.");
    }

    public IReadOnlyList<SchemaShape.Column> OutputShape(SchemaShape.Column label, string prefix) =>
    [
        HeadShapes.VariableVector(prefix + "PredictedTags", TextDataViewType.Instance),
        HeadShapes.VariableVector(prefix + "EntityTypes", TextDataViewType.Instance),
        HeadShapes.VariableVector(prefix + "EntityStarts", NumberDataViewType.Int32),
        HeadShapes.VariableVector(prefix + "EntityEnds", NumberDataViewType.Int32),
        HeadShapes.VariableVector(prefix + "EntityTexts", TextDataViewType.Instance),
        HeadShapes.VariableVector(prefix + "EntityScores", NumberDataViewType.Single),
    ];

    IFittedHead ITaskHead.Fit(DataViewSchema.Column column, IReadOnlyList<object?> values, HeadTrainingDefaults defaults)
    {
        var sentences = values.Select(FittedTokenClassificationHead.Tags).Where(t => t.Length > 0).ToList();
        sentences = TagSchemeValidator.Enforce(sentences, Scheme, InvalidTags).ToList();
        var seen = sentences.SelectMany(t => t).Distinct().Where(t => t != "O").OrderBy(t => t.Length > 2 ? t[2..] : t, StringComparer.Ordinal).ThenBy(t => t, StringComparer.Ordinal);
        var labels = new[] { "O" }.Concat(seen).ToArray();
        if (TagWeights is { } weights && weights.Keys.FirstOrDefault(k => !labels.Contains(k)) is { } unknown)
            throw new ArgumentException($"TokenClassificationHead '{Name}': TagWeights names tag '{unknown}', which the training data does not have (tags: {string.Join(", ", labels.Take(30))}).");
        return new FittedTokenClassificationHead(Name, LabelColumnName, labels, LabelAllSubwords, Scheme, InvalidTags,
            LabelSmoothing ?? defaults.LabelSmoothing, TagWeights, LossWeight);
    }
}

/// <summary>A fitted <see cref="TokenClassificationHead"/>: the tag set learnt from the training data, per-token cross-entropy, tags and entity spans out.</summary>
[HeadKind(TokenClassificationHead.KindName)]
internal sealed class FittedTokenClassificationHead : IFittedHead, IRestorableHead<FittedTokenClassificationHead>
{
    readonly string[] labels;
    readonly Dictionary<string, int> index;
    readonly SubwordLabelAligner aligner;
    readonly float[]? classWeights;

    public FittedTokenClassificationHead(string name, string labelColumnName, string[] labels, bool labelAllSubwords, TagScheme scheme,
        InvalidTagHandling invalidTags, double labelSmoothing, IReadOnlyDictionary<string, float>? tagWeights, double lossWeight)
    {
        Name = name; LabelColumnName = labelColumnName; this.labels = labels; LabelAllSubwords = labelAllSubwords; Scheme = scheme;
        InvalidTags = invalidTags; LabelSmoothing = labelSmoothing; TagWeights = tagWeights; LossWeight = lossWeight;
        index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
        aligner = new SubwordLabelAligner(labels);
        classWeights = tagWeights is null ? null : labels.Select(l => tagWeights.TryGetValue(l, out var w) ? w : 1f).ToArray();
    }

    public string Name { get; }
    public string LabelColumnName { get; }
    public bool LabelAllSubwords { get; }
    public TagScheme Scheme { get; }
    public InvalidTagHandling InvalidTags { get; }
    public double LabelSmoothing { get; }
    public IReadOnlyDictionary<string, float>? TagWeights { get; }
    public double LossWeight { get; }
    public bool IsTokenLevel => true;
    public int OutputSize => labels.Length;
    public IReadOnlyList<string> LabelNames => labels;

    internal static string[] Tags(object? value) => value switch
    {
        string s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries),
        string[] a => a,
        null => Array.Empty<string>(),
        _ => throw new InvalidDataException($"Unexpected tag value {value}."),
    };

    /// <summary>One tag per space-separated word (the words scoring reports tags for), or none (unlabelled for this head).</summary>
    public void CheckRow(object? value, string text)
    {
        var tags = Tags(value);
        int words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (tags.Length > 0 && tags.Length != words)
            throw new InvalidDataException($"Tag column '{LabelColumnName}': {tags.Length} tags for {words} words (\"{string.Join(' ', tags.Take(8))}{(tags.Length > 8 ? " …" : "")}\"); give one tag per space-separated word.");
    }

    public float[] EncodeTarget(object? value, EncodedInput encoding)
    {
        var tags = Tags(value);
        if (tags.Length == 0) return Enumerable.Repeat((float)SubwordLabelAligner.IgnoreIndex, encoding.Length).ToArray(); // unlabelled for this head
        tags = TagSchemeValidator.Enforce(new[] { tags }, Scheme, InvalidTags)[0];
        int words = encoding.WordIds.Where(w => w.HasValue).Select(w => w!.Value + 1).DefaultIfEmpty(0).Max();
        if (tags.Length < words)
            throw new InvalidDataException($"Tag column '{LabelColumnName}': {tags.Length} tags for {words}+ words (\"{string.Join(' ', tags.Take(8))}…\"); give one tag per space-separated word.");
        var ids = tags.Select(t => index.TryGetValue(t, out var i) ? i
            : throw new InvalidDataException($"Tag column '{LabelColumnName}': tag '{t}' was not seen in training.")).ToArray();
        return aligner.Align(encoding.WordIds, ids, LabelAllSubwords).Select(x => (float)x).ToArray();
    }

    public ClassifierModule CreateModule(TransformerConfig config) => new TokenClassifier(config, OutputSize);

    public Tensor Loss(Tensor logits, Tensor targets)
    {
        using var weight = classWeights is null ? null : tensor(classWeights, device: logits.device);
        return Losses.CrossEntropy(logits, targets.to(ScalarType.Int64), weight, LabelSmoothing);
    }

    public IReadOnlyList<ScoredColumn> OutputColumns(string prefix) => HeadColumns.Tokens(prefix);

    public Array[] Decode(Tensor logits, IReadOnlyList<EncodedInput> encodings, IReadOnlyList<string> texts)
    {
        using var scope = NewDisposeScope();
        var probabilities = nn.functional.softmax(logits.to(ScalarType.Float32), -1).cpu();
        return HeadColumns.DecodeTokens(probabilities.data<float>().ToArray(), (int)probabilities.size(1), labels,
            encodings.Select(e => (IReadOnlyList<int?>)e.WordIds).ToList(), texts);
    }

    public IReadOnlyDictionary<string, double> Evaluate(Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var t = targets.to(ScalarType.Int64);
        var real = t.ne(SubwordLabelAligner.IgnoreIndex);
        var correct = logits.argmax(-1).eq(t).logical_and(real).sum().item<long>();
        var total = Math.Max(1, real.sum().item<long>());
        return new Dictionary<string, double> { ["token_accuracy"] = (double)correct / total, ["loss"] = Loss(logits, targets).item<float>() };
    }

    public HeadDescription Describe() => new(TokenClassificationHead.KindName, Name, LabelColumnName, labels, Scheme.ToString(), LabelSmoothing,
        LabelAllSubwords: LabelAllSubwords, LossWeight: LossWeight, TagWeights: TagWeights) { InvalidTags = InvalidTags };

    public static FittedTokenClassificationHead Restore(HeadDescription d) =>
        new(d.Name, d.LabelColumnName, d.LabelNames.ToArray(), d.LabelAllSubwords, Enum.TryParse<TagScheme>(d.LabelKind, out var s) ? s : TagScheme.Iob2,
            Enum.IsDefined(d.InvalidTags) ? d.InvalidTags : throw new InvalidDataException($"Saved head '{d.Name}': InvalidTags {(int)d.InvalidTags} is not Throw or Repair."),
            d.LabelSmoothing, d.TagWeights, d.LossWeight);
}
