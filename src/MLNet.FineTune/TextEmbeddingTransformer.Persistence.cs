using MLNet.FineTune.Embeddings;
using System.Text.Json;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Persistence;
using static TorchSharp.torch;

namespace MLNet.FineTune;

/// <summary>
/// Payload layout, version 1: <c>embedding.json</c> (settings and base identity), <c>tokenizer/&lt;file&gt;</c>
/// (config.json and every tokenizer file), <c>weights/model.safetensors</c> (the encoder, Hugging Face base-model
/// names). The same entries as a FineTune model, so a loaded model needs no base folder. Nothing is unpickled.
/// </summary>
public sealed partial class TextEmbeddingTransformer
{
    internal sealed record SavedModel(EmbeddingSettings Settings, string BaseName, string? BaseWeightsSha256);

    const string WeightsEntry = "model zip (weights/model.safetensors)";

    private protected override void SavePayload(ZipPayloadWriter payload)
    {
        payload.AddJson("embedding.json", new SavedModel(Settings, Package.BaseName, Package.BaseWeightsSha256));
        foreach (var (name, bytes) in Package.Files) payload.AddBytes("tokenizer/" + name, bytes);
        payload.Add("weights/model.safetensors", stream =>
        {
            using var scope = NewDisposeScope();
            SafetensorsWriter.Write(stream, Encoder.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter));
        });
    }

    static TextEmbeddingTransformer IZipPersistedLoadable<TextEmbeddingTransformer>.Load(IHostEnvironment env, ZipPayloadReader payload)
    {
        TorchRuntime.EnsureLoaded();
        var saved = payload.ReadJson<SavedModel>("embedding.json");
        TextEmbeddingOptionsValidation.CheckSaved(saved.Settings);
        var files = payload.EntryNames.Where(n => n.StartsWith("tokenizer/", StringComparison.Ordinal))
            .ToDictionary(n => n["tokenizer/".Length..], n => payload.ReadBytes(n).ToArray());
        var package = ModelPackage.FromFiles(files, saved.BaseName, saved.BaseWeightsSha256);
        if (saved.Settings.Dimensions > package.Config.HiddenSize)
            throw new ModelPayloadException($"model zip (embedding.json): Dimensions {saved.Settings.Dimensions} exceeds the encoder's hidden size {package.Config.HiddenSize}.");
        var weights = SafetensorsReader.Open(payload.ReadBytes("weights/model.safetensors").ToArray(), WeightsEntry);
        var shapes = weights.Entries.ToDictionary(e => e.Key, e => e.Value.Shape);
        // The config decides what is allocated: bound it by the weights that are really there before building anything.
        ConfigWeightsCheck.Check(package.Config, shapes, WeightsEntry);
        var encoder = EncoderFactory.Create(package.Config, addPooler: shapes.ContainsKey("pooler.dense.weight"));
        var tensors = weights.ReadAll();
        try { StateDictLoader.Load(encoder, tensors, WeightsEntry); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
        return new TextEmbeddingTransformer(env, package, encoder, saved.Settings, maxLengthMayShrink: true);
    }
}
