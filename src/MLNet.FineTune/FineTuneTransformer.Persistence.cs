using System.Text.Json;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune;

/// <summary>
/// Payload layout, version 1 (entries inside the ML.NET model zip, under our model stream):
/// <c>finetune.json</c> (scoring settings, head descriptions, base identity, weight mode), <c>model_card.json</c>,
/// <c>tokenizer/&lt;file&gt;</c> (config.json and every tokenizer file), <c>weights/model.safetensors</c> (the whole
/// network, keys as in <see cref="TaskNetwork"/>). Nothing is unpickled or executed on load.
/// </summary>
public sealed partial class FineTuneTransformer
{
    internal sealed record SavedModel(ScoringSettings Settings, IReadOnlyList<HeadDescription> Heads, IReadOnlyList<double>? LossWeights,
        string BaseName, string? BaseWeightsSha256, string WeightMode);

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private protected override void SavePayload(ZipPayloadWriter payload)
    {
        payload.AddJson("finetune.json", new SavedModel(Settings, Network.Tasks.Select(t => t.Describe()).ToList(), Network.Tasks.Select(t => t.LossWeight).ToList(),
            Package.BaseName, Package.BaseWeightsSha256, TrainableOnly ? "trainable" : "full"));
        payload.AddJson("model_card.json", Card);
        foreach (var (name, bytes) in Package.Files) payload.AddBytes("tokenizer/" + name, bytes);
        payload.Add("weights/model.safetensors", stream =>
        {
            using var scope = NewDisposeScope();
            SafetensorsWriter.Write(stream, Network.named_parameters().Where(p => !TrainableOnly || p.parameter.requires_grad)
                .ToDictionary(p => p.name, p => (Tensor)p.parameter));
        });
    }

    bool TrainableOnly => Settings.WeightsInZip == ModelWeights.TrainableOnly && !Package.IsBuiltIn;

    static FineTuneTransformer IZipPersistedLoadable<FineTuneTransformer>.Load(IHostEnvironment env, ZipPayloadReader payload)
    {
        Modeling.TorchRuntime.EnsureLoaded();
        var saved = payload.ReadJson<SavedModel>("finetune.json");
        var card = payload.ReadJson<ModelCard>("model_card.json");
        var files = payload.EntryNames.Where(n => n.StartsWith("tokenizer/", StringComparison.Ordinal))
            .ToDictionary(n => n["tokenizer/".Length..], n => payload.ReadBytes(n).ToArray());
        var package = ModelPackage.FromFiles(files, saved.BaseName, saved.BaseWeightsSha256);
        bool trainableOnly = saved.WeightMode == "trainable";
        if (trainableOnly) package = package.WithBaseFolder(FineTuneModels.FindBaseModelFolder(saved.BaseName, saved.BaseWeightsSha256!));
        // Zips written before heads saved their own loss weight carry them in the parallel LossWeights list.
        var heads = saved.Heads.Select((h, i) => (saved.LossWeights is { } w && i < w.Count && h.LossWeight == 1 ? h with { LossWeight = w[i] } : h).Restore()).ToList();
        // Read in memory: loading a model never needs a writable temp folder.
        var weights = SafetensorsReader.Open(payload.ReadBytes("weights/model.safetensors").ToArray(), WeightsEntry);
        // The config decides what is allocated: bound it by the weights that are really there before building anything.
        // (Trainable-only zips hold no base weights; the base folder's own weights bound the encoder when it is loaded.)
        if (!trainableOnly) ConfigWeightsCheck.Check(package.Config, weights.Entries.ToDictionary(e => e.Key, e => e.Value.Shape), WeightsEntry);
        var network = TaskNetworkBuilder.Build(package, heads, saved.Settings.Peft);
        LoadWeights(network, weights, trainableOnly);
        return new FineTuneTransformer(env, package, network, saved.Settings, new TrainingHistory(), card);
    }

    const string WeightsEntry = "model zip (weights/model.safetensors)";

    static void LoadWeights(TaskNetwork network, SafetensorsReader weights, bool trainableOnly)
    {
        const string where = WeightsEntry;
        var tensors = weights.ReadAll();
        try
        {
            // Trainable-only zips: the base weights came from the registered base folder; frozen ones are absent here.
            StateDictLoader.Load(network, tensors, where, mayBeMissing: trainableOnly ? _ => true : null);
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }
}
