using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// Everything about the base model that training and scoring need besides trained weights: its config, tokenizer (and
/// the tokenizer files, kept in memory so a model zip is self-contained), and its identity (folder name and weight
/// hash) for the model card and for adapter-only saves. Nothing here writes to disk.
/// </summary>
internal sealed record ModelPackage
{
    public required TransformerConfig Config { get; init; }
    public required TransformerTokenizer Tokenizer { get; init; }
    /// <summary>Tokenizer and config files by file name (config.json, vocab.txt, tokenizer_config.json, …).</summary>
    public required IReadOnlyDictionary<string, byte[]> Files { get; init; }
    /// <summary>Checkpoint folder name, or "builtin" for the model trained from scratch.</summary>
    public required string BaseName { get; init; }
    /// <summary>sha256 of the base weights; null for the built-in model (it has no pretrained weights).</summary>
    public string? BaseWeightsSha256 { get; init; }
    /// <summary>The checkpoint folder when there is one (base weights are read from it when the network is built).</summary>
    public string? BaseFolder { get; init; }

    public bool IsBuiltIn => BaseFolder is null;
    /// <summary>The named pretrained model this package came from, if any (licence and pooling for the model card).</summary>
    public PretrainedModel? Pretrained { get; init; }

    /// <summary>A named pretrained model: its cached folder, named by its Hub id.</summary>
    public static ModelPackage FromPretrained(PretrainedModel model, double? dropout = null)
    {
        return FromCheckpoint(model.GetFolder(), dropout) with { BaseName = model.HubId, Pretrained = model };
    }

    /// <summary>A Hugging Face checkpoint folder (safetensors, or model.onnx); <paramref name="dropout"/> (when set) replaces its hidden and attention dropout.</summary>
    public static ModelPackage FromCheckpoint(string folder, double? dropout = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"BaseModelFolder '{folder}' does not exist.");
        var baseConfig = CheckpointFolder.ReadConfig(folder);
        var config = dropout is { } p ? baseConfig with { HiddenDropout = p, AttentionDropout = p } : baseConfig;
        var tokenizer = TransformerTokenizer.FromFolder(folder);
        var files = ReadFiles(tokenizer.SourceFiles.Append(Path.Combine(folder, CheckpointFolder.ConfigFile)));
        // An ONNX folder may have no config.json; saved models need one, so the recovered config is written in its place.
        files.TryAdd(CheckpointFolder.ConfigFile, System.Text.Encoding.UTF8.GetBytes(baseConfig.ToJson().ToJsonString()));
        return new ModelPackage
        {
            Config = config, Tokenizer = tokenizer, Files = files,
            BaseName = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar)),
            BaseWeightsSha256 = CheckpointFolder.WeightsSha256(folder), BaseFolder = folder,
        };
    }

    /// <summary>The built-in model with a vocabulary learnt from <paramref name="trainingTexts"/>.</summary>
    public static ModelPackage BuiltIn(BuiltInModelOptions options, IEnumerable<string> trainingTexts)
    {
        var (config, files) = BuiltInModel.CreateFiles(options, trainingTexts);
        return new ModelPackage { Config = config, Tokenizer = TransformerTokenizer.FromFiles(files, "built-in model"), Files = files, BaseName = "builtin" };
    }

    /// <summary>Rebuilds a package from saved files (model zip loading), in memory.</summary>
    public static ModelPackage FromFiles(IReadOnlyDictionary<string, byte[]> files, string baseName, string? baseSha256)
    {
        if (!files.TryGetValue("config.json", out var configBytes)) throw new InvalidDataException("The saved model has no tokenizer/config.json entry.");
        var config = TransformerConfig.FromJson(Persistence.JsonFields.Parse(configBytes, "model zip tokenizer/config.json"));
        return new ModelPackage
        {
            Config = config, Tokenizer = TransformerTokenizer.FromFiles(files, "model zip tokenizer"), Files = files, BaseName = baseName, BaseWeightsSha256 = baseSha256,
        };
    }

    /// <summary>This package with its pretrained weights read from <paramref name="folder"/> (trainable-only model zips).</summary>
    public ModelPackage WithBaseFolder(string folder) => this with { BaseFolder = folder };

    static Dictionary<string, byte[]> ReadFiles(IEnumerable<string> paths) =>
        paths.Where(File.Exists).DistinctBy(Path.GetFileName).ToDictionary(p => Path.GetFileName(p)!, p => Persistence.UserFile.ReadAllBytes(p, "tokenizer or config file"));

    /// <summary>The model as error messages name it, with the file its sizes come from.</summary>
    public string NameInMessages => BaseName == "builtin" ? "the built-in model (BuiltInModelOptions)" : $"model '{BaseName}' (config.json)";

    public string Describe() => IsBuiltIn
        ? $"built-in {Config.ModelType} (hidden {Config.HiddenSize}, {Config.NumLayers} layers, vocab {Config.VocabSize}) trained from scratch"
        : $"{Config.ModelType} checkpoint '{BaseName}' (hidden {Config.HiddenSize}, {Config.NumLayers} layers, weights sha256 {BaseWeightsSha256?[..12]}…)";
}
