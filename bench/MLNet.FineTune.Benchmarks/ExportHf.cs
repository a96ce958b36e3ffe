using System.Text.Json.Nodes;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Pretrained;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Writes a named pretrained model as a Hugging Face folder (config.json, model.safetensors, vocab.txt,
/// tokenizer_config.json) from the same converted weights FineTune trains, so Hugging Face's Trainer can run the
/// identical checkpoint side by side (../shared/bench/hf-trainer).
/// </summary>
public static class ExportHf
{
    public static string Run(string model, string folder)
    {
        var pretrained = model switch { "minilm" => PretrainedModels.AllMiniLmL6V2, "arctic" => PretrainedModels.ArcticEmbedXs, _ => throw new ArgumentException(model) };
        var source = pretrained.GetFolder();
        Directory.CreateDirectory(folder);
        var config = CheckpointFolder.ReadConfig(source).ToJson();
        config["architectures"] = new JsonArray("BertModel");
        config["_name_or_path"] = pretrained.HubId;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString(new() { WriteIndented = true }));
        var weights = CheckpointFolder.ReadStateDict(source);
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), weights, new Dictionary<string, string> { ["format"] = "pt" });
        foreach (var t in weights.Values) t.Dispose();
        foreach (var file in new[] { "vocab.txt", "tokenizer_config.json" }) File.Copy(Path.Combine(source, file), Path.Combine(folder, file), overwrite: true);
        return $"{{\"exported\": \"{folder}\", \"from\": \"{source}\", \"tensors\": {weights.Count}}}";
    }
}
