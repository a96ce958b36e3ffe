using MLNet.FineTune.Modeling;
using System.Collections.Concurrent;
using MLNet.FineTune.Modeling.Checkpoints;

namespace MLNet.FineTune;

/// <summary>
/// Where trainable-only model zips (<see cref="ModelWeights.TrainableOnly"/>) find their base checkpoint. One line before
/// <c>mlContext.Model.Load</c>: <c>FineTuneModels.RegisterBaseModelFolder("models/bert-base-uncased");</c>. A base whose
/// weights hash differs from the one recorded at training time is refused.
/// </summary>
public static class FineTuneModels
{
    static readonly ConcurrentDictionary<string, string> folders = new(); // sha256 -> folder

    /// <summary>Makes a checkpoint folder available to trainable-only model zips (its weights are hashed once, here).</summary>
    public static void RegisterBaseModelFolder(string folder) => folders[CheckpointFolder.WeightsSha256(folder)] = Path.GetFullPath(folder);

    /// <summary>Makes a named pretrained model (resolved to its cached folder) available to trainable-only model zips.</summary>
    public static void RegisterBaseModel(PretrainedModel model) => RegisterBaseModelFolder(model.GetFolder());

    /// <summary>Forgets a registered folder (tests: the registry is process-wide).</summary>
    internal static void UnregisterBaseModelFolder(string folder) => folders.TryRemove(CheckpointFolder.WeightsSha256(folder), out _);

    internal static string FindBaseModelFolder(string name, string sha256)
    {
        if (folders.TryGetValue(sha256, out var folder)) return folder;
        var sameName = folders.Values.FirstOrDefault(f => Path.GetFileName(f.TrimEnd(Path.DirectorySeparatorChar)) == name);
        if (sameName != null)
            throw new InvalidDataException($"This model zip was trained on base '{name}' with weights sha256 {sha256}, but the registered folder {sameName} " +
                "holds different weights. Register the exact base checkpoint the model was trained on.");
        throw new InvalidOperationException($"This model zip holds only adapter and head weights; it needs its base checkpoint '{name}' " +
            $"(weights sha256 {sha256}). Call FineTuneModels.RegisterBaseModelFolder(\"<path to {name}>\") once before loading.");
    }
}
