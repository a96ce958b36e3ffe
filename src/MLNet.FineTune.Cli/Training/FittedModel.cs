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
        if (!File.Exists(path)) throw new UserError($"--model '{path}' does not exist.");
        var ml = new MLContext(seed: 1);
        ITransformer loaded;
        try { loaded = ml.Model.LoadChecked(path, out _); }
        catch (Exception e) when (e is not UserError) { throw new UserError($"--model '{path}': {e.Message}"); }
        var model = loaded as FineTuneTransformer
            ?? (loaded as IEnumerable<ITransformer>)?.OfType<FineTuneTransformer>().LastOrDefault()
            ?? throw new UserError($"--model '{path}' holds no FineTune model (found {loaded.GetType().Name}).");
        return (ml, model);
    }

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
