using Microsoft.ML.Runtime;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune;

/// <summary>
/// Payload layout, version 1: <c>textgeneration.json</c> (columns, generation settings, prompt format and chat
/// template, LoRA settings, base identity), <c>tokenizer/&lt;file&gt;</c> (config.json and every tokenizer file),
/// <c>weights/model.safetensors</c> (every parameter under the module's names, LoRA matrices included, so the loaded
/// model can still export its adapter). A loaded model needs no base folder. Nothing is unpickled.
/// </summary>
public sealed partial class TextGenerationTransformer
{
    internal sealed record SavedModel(TextGenerationModelSettings Settings, string BaseName, string? BaseWeightsSha256);

    const string WeightsEntry = "model zip (weights/model.safetensors)";

    private protected override void SavePayload(ZipPayloadWriter payload)
    {
        payload.AddJson("textgeneration.json", new SavedModel(Settings, Model.Package.BaseName, Model.Package.BaseWeightsSha256));
        foreach (var (name, bytes) in Model.Package.Files) payload.AddBytes("tokenizer/" + name, bytes);
        payload.Add("weights/model.safetensors", stream =>
        {
            using var scope = NewDisposeScope();
            SafetensorsWriter.Write(stream, Model.ModuleWeights());
        });
    }

    static TextGenerationTransformer IZipPersistedLoadable<TextGenerationTransformer>.Load(IHostEnvironment env, ZipPayloadReader payload)
    {
        TorchRuntime.EnsureLoaded();
        var saved = payload.ReadJson<SavedModel>("textgeneration.json");
        CheckSaved(saved.Settings);
        var files = payload.EntryNames.Where(n => n.StartsWith("tokenizer/", StringComparison.Ordinal))
            .ToDictionary(n => n["tokenizer/".Length..], n => payload.ReadBytes(n).ToArray());
        var package = DecoderPackage.FromFiles(files, saved.BaseName, saved.BaseWeightsSha256, "model zip tokenizer");
        var tensors = SafetensorsReader.Open(payload.ReadBytes("weights/model.safetensors").ToArray(), WeightsEntry).ReadAll();
        try
        {
            var model = TextGenerationModel.Restore(package, saved.Settings.Lora, tensors, WeightsEntry);
            return new TextGenerationTransformer(env, model, saved.Settings, new TrainingHistory());
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    static void CheckSaved(TextGenerationModelSettings s)
    {
        if (s is null || string.IsNullOrEmpty(s.PromptColumn) || string.IsNullOrEmpty(s.OutputColumn) || s.Generation is null || s.Format is null)
            throw new ModelPayloadException("model zip (textgeneration.json): the settings are incomplete (prompt column, output column, generation settings and prompt format are required).");
        try { s.Generation.Validate("textgeneration.json Generation"); }
        catch (ArgumentException e) { throw new ModelPayloadException("model zip: " + e.Message); }
    }
}
