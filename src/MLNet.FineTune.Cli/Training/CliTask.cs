using MLNet.FineTune.Cli.Output;

namespace MLNet.FineTune.Cli.Training;

/// <summary>What <c>train --task</c> learns.</summary>
internal enum CliTask
{
    /// <summary>A class per text (string, number or boolean labels).</summary>
    Classification,
    /// <summary>A class per text pair (<c>text</c> + <c>text_pair</c>).</summary>
    Pairs,
    /// <summary>A number per text or text pair.</summary>
    Regression,
    /// <summary>A tag per word (entity recognition): <c>tokens</c>/<c>tags</c> JSONL or CoNLL.</summary>
    Ner,
}

internal static class CliTasks
{
    public static CliTask Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "classification" or "classify" => CliTask.Classification,
        "pairs" or "pair-classification" => CliTask.Pairs,
        "regression" => CliTask.Regression,
        "ner" or "token-classification" => CliTask.Ner,
        _ => throw new UserError($"--task '{value}' is not a task; use classification, pairs, regression or ner."),
    };

    public static string Name(CliTask task) => task.ToString().ToLowerInvariant();
}
