using System.Security.Cryptography;
using MLNet.FineTune.Modeling.Onnx;
using MLNet.FineTune.Persistence;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Checkpoints;

/// <summary>
/// The weight files of a Hugging Face checkpoint folder: <c>model.safetensors</c>, or shards listed in
/// <c>model.safetensors.index.json</c>, or else a BERT <c>model.onnx</c> converted on the fly (<see cref="OnnxCheckpoint"/>).
/// Pickle files (<c>pytorch_model.bin</c>) are refused: unpickling runs code.
/// </summary>
internal static class CheckpointFolder
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";
    public const string ConfigFile = "config.json";

    /// <summary>
    /// Whether the folder's weights are a model.onnx. Safetensors win when both are there: they are what the ONNX
    /// file was exported from, and need no conversion.
    /// </summary>
    public static bool IsOnnx(string folder) =>
        !File.Exists(Path.Combine(folder, SingleFile)) && !File.Exists(Path.Combine(folder, IndexFile)) && File.Exists(OnnxCheckpoint.PathIn(folder));

    /// <summary>The model config: config.json, or for an ONNX folder the graph's config (checked against config.json when there is one).</summary>
    public static TransformerConfig ReadConfig(string folder) =>
        IsOnnx(folder) ? OnnxCheckpoint.Config(folder) : TransformerConfig.Load(Path.Combine(folder, ConfigFile));

    /// <summary>The safetensors files holding the weights, in a stable order.</summary>
    public static IReadOnlyList<string> WeightFiles(string folder)
    {
        if (!Directory.Exists(folder)) throw new CheckpointException($"Checkpoint folder not found: {folder}");
        var single = Path.Combine(folder, SingleFile);
        if (File.Exists(single)) return new[] { single };
        var index = Path.Combine(folder, IndexFile);
        if (File.Exists(index)) return ShardsFromIndex(folder, index);
        foreach (var pickle in new[] { "pytorch_model.bin", "pytorch_model.bin.index.json", "model.pt", "model.pth" })
            if (File.Exists(Path.Combine(folder, pickle)))
                throw new CheckpointException(
                    $"{Path.Combine(folder, pickle)} is a Python pickle. MLNet.FineTune does not read pickle files because unpickling can run " +
                    "arbitrary code. Convert the checkpoint to safetensors once, in Python: " +
                    "`AutoModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True)` (or the safetensors 'convert' space).");
        throw new CheckpointException($"{folder}: no weights found (looked for {SingleFile}, {IndexFile} and {OnnxCheckpoint.FileName}).");
    }

    /// <summary>
    /// The shards <c>model.safetensors.index.json</c> names in <c>weight_map</c> (tensor → shard file). Every shard must
    /// lie inside the folder and be a regular file, and every tensor must be in the shard the index names.
    /// </summary>
    static IReadOnlyList<string> ShardsFromIndex(string folder, string index)
    {
        var map = JsonFields.Read(index, "sharded checkpoint index", m => new CheckpointException(m)).RequiredObject("weight_map");
        var full = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        var byShard = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (tensor, _) in map.Fields)
        {
            var shard = map.String(tensor) ?? throw map.WrongType(tensor, "a shard file name", null);
            if (!byShard.TryGetValue(shard, out var list)) byShard[shard] = list = [];
            list.Add(tensor);
        }
        if (byShard.Count == 0) throw new CheckpointException($"{index}: field 'weight_map' lists no tensors.");
        var files = new List<string>();
        foreach (var (shard, tensors) in byShard)
        {
            var path = Path.GetFullPath(Path.Combine(folder, shard));
            if (!path.StartsWith(full, StringComparison.Ordinal))
                throw new CheckpointException($"{index}: shard '{shard}' points outside the checkpoint folder.");
            if (!File.Exists(path)) throw new CheckpointException($"{index}: shard '{shard}' is listed but missing.");
            var reader = SafetensorsReader.Open(path);
            if (tensors.FirstOrDefault(t => !reader.Entries.ContainsKey(t)) is { } absent)
                throw new CheckpointException($"{index}: field 'weight_map.{absent}' names shard '{shard}', which has no tensor '{absent}'.");
            files.Add(path);
        }
        return files;
    }

    /// <summary>Every tensor of the checkpoint, float32 on the CPU, keyed as in the files.</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string folder)
    {
        if (IsOnnx(folder)) return OnnxCheckpoint.Load(folder).ToStateDict();
        var all = new Dictionary<string, Tensor>();
        try
        {
            foreach (var file in WeightFiles(folder))
            {
                var reader = SafetensorsReader.Open(file);
                foreach (var name in reader.Entries.Keys)
                {
                    if (all.ContainsKey(name)) throw new CheckpointException($"{file}: tensor '{name}' appears in more than one shard.");
                    all[name] = reader.ReadTensor(name);
                }
            }
        }
        catch
        {
            foreach (var tensor in all.Values) tensor.Dispose();
            throw;
        }
        return all;
    }

    /// <summary>
    /// sha256 over the weight files (hex, lowercase): the base model's identity recorded with adapters and model zips.
    /// For model.onnx it is the hash of the converted weights, so it names the weights rather than one serialization.
    /// </summary>
    public static string WeightsSha256(string folder)
    {
        if (IsOnnx(folder)) return OnnxCheckpoint.WeightsSha256(folder);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in WeightFiles(folder))
        {
            using var stream = UserFile.OpenRead(file, "checkpoint weights");
            var buffer = new byte[1 << 20];
            int read;
            while ((read = stream.Read(buffer)) > 0) sha.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
