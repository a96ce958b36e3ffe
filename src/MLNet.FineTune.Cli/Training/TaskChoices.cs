using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Cli.Training;

/// <summary>The kind of one multi-task head.</summary>
internal enum HeadKind { Classification, Regression }

/// <summary>One multi-task head: its name is also the key (JSONL) or column (CSV/TSV) of its labels.</summary>
internal sealed record HeadSpec(string Name, HeadKind Kind)
{
    public const int MaxHeads = 8;

    /// <summary><c>--heads sentiment:classification,stars:regression</c> (kind defaults to classification).</summary>
    public static IReadOnlyList<HeadSpec> Parse(string value)
    {
        var heads = new List<HeadSpec>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(':', StringSplitOptions.TrimEntries);
            string name = pieces[0];
            if (name.Length == 0 || name.Any(c => !(char.IsLetterOrDigit(c) || c is '_' or '-')))
                throw new UserError($"--heads '{value}': head name '{name}' must be letters, digits, '_' or '-' (it is the label key or column, and prefixes the head's output columns).");
            var kind = pieces.Length == 1 ? HeadKind.Classification : pieces[1].ToLowerInvariant() switch
            {
                "classification" => HeadKind.Classification,
                "regression" => HeadKind.Regression,
                "ner" or "token-classification" => throw new UserError($"--heads '{value}': a multi-task file has one text (or pair) per row with one label per head; NER heads need tokens/tags rows, so train NER with --task ner."),
                _ => throw new UserError($"--heads '{value}': '{pieces[1]}' is not a head kind; use classification or regression."),
            };
            if (pieces.Length > 2) throw new UserError($"--heads '{value}': write each head as name:kind.");
            if (heads.Any(h => h.Name == name)) throw new UserError($"--heads '{value}': head '{name}' is given twice.");
            heads.Add(new HeadSpec(name, kind));
        }
        if (heads.Count is < 2 or > MaxHeads)
            throw new UserError($"--heads '{value}': multi-task needs 2 to {MaxHeads} heads, name:kind comma-separated, e.g. sentiment:classification,stars:regression.");
        return heads;
    }

    public static string Format(IReadOnlyList<HeadSpec> heads) => string.Join(",", heads.Select(h => $"{h.Name}:{h.Kind.ToString().ToLowerInvariant()}"));

    public ITaskHead ToHead() => Kind == HeadKind.Regression ? new RegressionHead(Name, Name) : new ClassificationHead(Name, Name);
}

/// <summary><c>--task-sampling</c>: how multi-task batches are drawn.</summary>
internal static class TaskSamplingChoice
{
    public static TaskSampling Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "mixed" => TaskSampling.Mixed,
        "proportional" => TaskSampling.Proportional,
        "round-robin" or "roundrobin" => TaskSampling.RoundRobin,
        _ => throw new UserError($"--task-sampling '{value}' is not a mode; use mixed, proportional or round-robin."),
    };

    public static string Name(TaskSampling mode) => mode == TaskSampling.RoundRobin ? "round-robin" : mode.ToString().ToLowerInvariant();
}

/// <summary><c>--loss</c>: sentence-transformers' contrastive losses.</summary>
internal static class ContrastiveLossChoice
{
    public const string Choices = "mnrl (anchor, positive), cosent or cosine ((a, b, score)), contrastive ((a, b, 0/1 label))";

    public static ContrastiveLoss Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "mnrl" or "multiple-negatives-ranking" => ContrastiveLoss.MultipleNegativesRanking,
        "cosent" => ContrastiveLoss.CoSent,
        "cosine" or "cosine-similarity" => ContrastiveLoss.CosineSimilarity,
        "contrastive" => ContrastiveLoss.Contrastive,
        _ => throw new UserError($"--loss '{value}' is not a loss; use {Choices}."),
    };

    public static string Name(ContrastiveLoss loss) => loss switch
    {
        ContrastiveLoss.MultipleNegativesRanking => "mnrl",
        ContrastiveLoss.CoSent => "cosent",
        ContrastiveLoss.CosineSimilarity => "cosine",
        _ => "contrastive",
    };

    /// <summary>What each pair's label means for the loss: none (MNRL), a similarity score, or 0/1.</summary>
    public static PairTarget Target(ContrastiveLoss loss) => loss switch
    {
        ContrastiveLoss.MultipleNegativesRanking => PairTarget.None,
        ContrastiveLoss.Contrastive => PairTarget.Binary,
        _ => PairTarget.Score,
    };
}

/// <summary><c>--loss</c> for completions: which tokens the causal-LM loss covers.</summary>
internal static class CompletionLossChoice
{
    public static TextGenerationLoss Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "completion" or "completion-only" or "completions" => TextGenerationLoss.CompletionOnly,
        "all" or "all-tokens" => TextGenerationLoss.AllTokens,
        _ => throw new UserError($"--loss '{value}' is not a completions loss; use completion (the completion or assistant turns only) or all (every token)."),
    };

    public static string Name(TextGenerationLoss loss) => loss == TextGenerationLoss.AllTokens ? "all" : "completion";
}

/// <summary>What the label of an embedding pair is.</summary>
internal enum PairTarget { None, Score, Binary }
