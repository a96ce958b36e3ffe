using MLNet.FineTune.Cli.DataFiles;
using System.Globalization;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Cli.Validation;

/// <summary>A finding that does not stop training but may spoil it; <c>--strict</c> turns warnings into exit code 1.</summary>
internal sealed record ValidationWarning(string Kind, string File, string Message, IReadOnlyList<int>? Lines = null);

/// <summary>How often a label (or a tag, for tagging data) occurs.</summary>
internal sealed record LabelCount(string Label, int Count);

/// <summary>
/// The warnings of <c>validate</c>, on the valid examples of a training file and an optional validation file:
/// too few examples, label imbalance, duplicated inputs, inputs shared by both files, validation labels never seen in
/// training. Thresholds are constants here and stated in each message.
/// </summary>
internal static class DatasetChecks
{
    /// <summary>Fewer examples than this is a warning (hosted services ask for at least 10).</summary>
    public const int MinExamples = 10;

    /// <summary>The most frequent label at least this many times the least frequent one is a warning.</summary>
    public const int ImbalanceRatio = 10;

    const int LinesShown = 10;

    public static List<ValidationWarning> Run(DataFile train, DataFile? validation)
    {
        var warnings = new List<ValidationWarning>();
        foreach (var file in validation is null ? [train] : new[] { train, validation })
        {
            if (file.Examples.Count is > 0 and < MinExamples)
                warnings.Add(new("few_examples", file.Name, $"only {file.Examples.Count} examples; fine-tuning needs at least {MinExamples}, and usually hundreds per label"));
            Duplicates(file, warnings);
        }
        Imbalance(train, warnings);
        if (validation is not null)
        {
            Overlap(train, validation, warnings);
            UnseenLabels(train, validation, warnings);
        }
        return warnings;
    }

    /// <summary>Label counts, most frequent first (tags for tagging data); null for regression or unlabelled data.</summary>
    public static List<LabelCount>? Labels(DataFile file)
    {
        if (IsRegression(file)) return null;
        var counts = file.Examples.SelectMany(LabelsOf).GroupBy(l => l, StringComparer.Ordinal)
            .Select(g => new LabelCount(g.Key, g.Count())).OrderByDescending(c => c.Count).ThenBy(c => c.Label, StringComparer.Ordinal).ToList();
        return counts.Count == 0 ? null : counts;
    }

    /// <summary>
    /// Labels that are all numbers with a fraction somewhere, or more than 20 distinct numbers, are regression targets
    /// (no classes to balance or to miss); 0/1 or 1..5 stay classes.
    /// </summary>
    public static bool IsRegression(DataFile file)
    {
        var labels = file.Examples.Where(e => e.Label is not null).Select(e => e.Label!).ToList();
        if (labels.Count == 0) return false;
        var numbers = new List<double>();
        foreach (var label in labels)
        {
            if (!double.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return false;
            numbers.Add(value);
        }
        return numbers.Any(n => n != Math.Floor(n)) || numbers.Distinct().Count() > 20;
    }

    static IEnumerable<string> LabelsOf(JsonlExample e) => e.Tags ?? (e.Label is { } l ? [l] : []);

    /// <summary>What makes two examples "the same input": the text (and pair), the tokens, or the whole conversation.</summary>
    public static string InputKey(JsonlExample e) => e.Format switch
    {
        JsonlFormat.TokensTags => string.Join('\u001F', e.Tokens!),
        JsonlFormat.Chat => string.Join('\u001E', e.Generative!.Turns!.Select(t => $"{t.Role}\u001F{t.Content}")),
        JsonlFormat.PromptCompletion => e.Generative!.Prompt + '\u001E' + e.Generative.Completion,
        _ => e.TextPair is null ? e.Text! : e.Text + '\u001E' + e.TextPair,
    };

    static void Duplicates(DataFile file, List<ValidationWarning> warnings)
    {
        var first = new Dictionary<string, JsonlExample>(StringComparer.Ordinal);
        var repeats = new List<(JsonlExample Repeat, JsonlExample First)>();
        foreach (var e in file.Examples)
            if (!first.TryAdd(InputKey(e), e)) repeats.Add((e, first[InputKey(e)]));
        if (repeats.Count == 0) return;
        int conflicting = repeats.Count(r => r.Repeat.Label != r.First.Label || !SameTags(r.Repeat, r.First));
        var shown = string.Join(", ", repeats.Take(5).Select(r => $"line {r.Repeat.Line} repeats line {r.First.Line}"));
        warnings.Add(new("duplicates", file.Name,
            $"{repeats.Count} duplicated inputs ({shown}{(repeats.Count > 5 ? ", …" : "")})" +
            (conflicting > 0 ? $"; {conflicting} of them with a different label" : ""),
            repeats.Take(LinesShown).Select(r => r.Repeat.Line).ToList()));
    }

    static bool SameTags(JsonlExample a, JsonlExample b) => a.Tags is null || b.Tags is null || a.Tags.SequenceEqual(b.Tags);

    static void Imbalance(DataFile train, List<ValidationWarning> warnings)
    {
        if (train.Examples.Count == 0 || train.Examples[0].Format is not (JsonlFormat.TextLabel or JsonlFormat.TextPairLabel)) return;
        if (Labels(train) is not { Count: >= 2 } counts) return;
        var (most, least) = (counts[0], counts[^1]);
        if (most.Count >= ImbalanceRatio * least.Count)
            warnings.Add(new("label_imbalance", train.Name,
                $"label '{most.Label}' has {most.Count} examples, '{least.Label}' only {least.Count} ({(double)most.Count / least.Count:0.#}x, warning from {ImbalanceRatio}x); " +
                "add examples of the rare labels or expect them to be predicted rarely"));
    }

    static void Overlap(DataFile train, DataFile validation, List<ValidationWarning> warnings)
    {
        var trainInputs = train.Examples.Select(InputKey).ToHashSet(StringComparer.Ordinal);
        var shared = validation.Examples.Where(e => trainInputs.Contains(InputKey(e))).ToList();
        if (shared.Count == 0) return;
        warnings.Add(new("validation_overlap", validation.Name,
            $"{shared.Count} of {validation.Examples.Count} validation inputs also appear in {train.Name} (lines {string.Join(", ", shared.Take(5).Select(e => e.Line))}{(shared.Count > 5 ? ", …" : "")}); validation scores will be optimistic",
            shared.Take(LinesShown).Select(e => e.Line).ToList()));
    }

    static void UnseenLabels(DataFile train, DataFile validation, List<ValidationWarning> warnings)
    {
        if (IsRegression(train) || IsRegression(validation)) return;
        var known = train.Examples.SelectMany(LabelsOf).ToHashSet(StringComparer.Ordinal);
        if (known.Count == 0) return;
        var unseen = validation.Examples.Where(e => LabelsOf(e).Any(l => !known.Contains(l))).ToList();
        if (unseen.Count == 0) return;
        var labels = unseen.SelectMany(LabelsOf).Where(l => !known.Contains(l)).Distinct().Take(10).Select(l => $"'{l}'");
        warnings.Add(new("unseen_labels", validation.Name,
            $"{unseen.Count} validation examples have labels never seen in {train.Name}: {string.Join(", ", labels)}; the model cannot predict them",
            unseen.Take(LinesShown).Select(e => e.Line).ToList()));
    }
}
