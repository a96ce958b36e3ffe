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
    /// <summary>Several heads over one encoder, each reading its own label key or column (<c>--heads</c>).</summary>
    MultiTask,
    /// <summary>Few-shot classification: a sentence-embedding body fine-tuned on pairs drawn from the labelled texts, then a classifier on its embeddings.</summary>
    SetFit,
    /// <summary>Contrastive fine-tuning of a sentence-embedding model on text pairs: (anchor, positive), (a, b, score) or (a, b, 0/1 label).</summary>
    Embeddings,
    /// <summary>Generative fine-tuning of a decoder (GPT-2, Llama family, or a small one from scratch) on prompt/completion or chat <c>messages</c> JSONL.</summary>
    Completions,
}

internal static class CliTasks
{
    public const string Choices = "classification, pairs, regression, ner, multi-task, setfit, embeddings or completions";

    public static CliTask Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "classification" or "classify" => CliTask.Classification,
        "pairs" or "pair-classification" => CliTask.Pairs,
        "regression" => CliTask.Regression,
        "ner" or "token-classification" => CliTask.Ner,
        "multi-task" or "multitask" => CliTask.MultiTask,
        "setfit" or "few-shot" => CliTask.SetFit,
        "embeddings" or "embedding-pairs" or "contrastive" => CliTask.Embeddings,
        "completions" or "completion" or "generation" or "chat" => CliTask.Completions,
        _ => throw new UserError($"--task '{value}' is not a task; use {Choices}."),
    };

    public static string Name(CliTask task) => task switch
    {
        CliTask.MultiTask => "multi-task",
        _ => task.ToString().ToLowerInvariant(),
    };

    /// <summary>Tasks trained by a sentence-embedding estimator (SetFit, FineTuneEmbeddings) rather than FineTune: they need a pretrained base.</summary>
    public static bool IsEmbeddingTask(CliTask task) => task is CliTask.SetFit or CliTask.Embeddings;
}
