using MLNet.FineTune.Cli.Output;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads;

namespace MLNet.FineTune.Cli.Training;

/// <summary>A model zip written by <c>train</c> (or by a C# app with SaveAtomic), loaded for evaluate/export.</summary>
internal static class FittedModel
{
    public static (MLContext Ml, FineTuneTransformer Model) Load(string path)
    {
        var (ml, loaded) = LoadZip(path);
        var model = Flatten(loaded).OfType<FineTuneTransformer>().LastOrDefault()
            ?? throw new UserError($"--model '{path}' holds no FineTune model (found {loaded.GetType().Name}).");
        return (ml, model);
    }

    static (MLContext Ml, ITransformer Model) LoadZip(string path)
    {
        if (!File.Exists(path)) throw new UserError($"--model '{path}' does not exist.");
        var ml = new MLContext(seed: 1);
        try { return (ml, ml.Model.LoadChecked(path, out _)); }
        catch (Exception e) when (e is not UserError) { throw new UserError($"--model '{path}': {e.Message}"); }
    }

    /// <summary>
    /// Any model zip <c>train</c> writes, for <c>evaluate</c>: a FineTune model (one head, or several: multi-task), a SetFit
    /// chain (embedding body + classifier), a sentence-embedding model, or a text-generation model.
    /// </summary>
    public static (MLContext Ml, FittedTask Fitted) LoadAny(string path)
    {
        var (ml, loaded) = LoadZip(path);
        var parts = Flatten(loaded).ToList();
        if (parts.OfType<FineTuneTransformer>().LastOrDefault() is { } fineTune)
        {
            if (fineTune.Heads.Count == 1) return (ml, new FittedTask(Task(fineTune), loaded, fineTune, null, null));
            var heads = fineTune.Heads.Select(h => new HeadSpec(h.Name, h.Kind switch
            {
                ClassificationHead.KindName => HeadKind.Classification,
                RegressionHead.KindName => HeadKind.Regression,
                _ => throw new UserError($"the model's head '{h.Name}' is a '{h.Kind}' head; evaluate handles multi-task models with classification and regression heads."),
            })).ToList();
            return (ml, new FittedTask(CliTask.MultiTask, loaded, fineTune, null, heads));
        }
        if (parts.OfType<TextGenerationTransformer>().FirstOrDefault() is { } generation)
            return (ml, new FittedTask(CliTask.Completions, loaded, null, null, null) { Generation = generation });
        if (parts.OfType<TextEmbeddingTransformer>().FirstOrDefault() is { } embedding)
            return (ml, new FittedTask(parts.Count == 1 ? CliTask.Embeddings : CliTask.SetFit, loaded, null, embedding, null));
        throw new UserError($"--model '{path}' holds no FineTune, SetFit, embedding or text-generation model (found {loaded.GetType().Name}).");
    }

    static IEnumerable<ITransformer> Flatten(ITransformer model) => model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];

    /// <summary>The task of a single-head model, as the CLI's data reader needs it.</summary>
    public static CliTask Task(FineTuneTransformer model)
    {
        if (model.Heads.Count != 1) throw new UserError($"the model has {model.Heads.Count} heads ({string.Join(", ", model.Heads.Select(h => h.Name))}); evaluate handles single-head models.");
        var head = model.Heads[0];
        return head.Kind switch
        {
            TokenClassificationHead.KindName => CliTask.Ner,
            RegressionHead.KindName => CliTask.Regression,
            ClassificationHead.KindName => model.InputColumnNames.Count == 2 ? CliTask.Pairs : CliTask.Classification,
            _ => throw new UserError($"the model's head is a '{head.Kind}' head, which evaluate does not handle."),
        };
    }
}

/// <summary>A loaded model and what it does: the whole model, and its FineTune or embedding part.</summary>
internal sealed record FittedTask(CliTask Task, ITransformer Model, FineTuneTransformer? FineTune, TextEmbeddingTransformer? Embedding, IReadOnlyList<HeadSpec>? Heads)
{
    /// <summary>The text-generation model (<c>--task completions</c>), or null.</summary>
    public TextGenerationTransformer? Generation { get; init; }
}
