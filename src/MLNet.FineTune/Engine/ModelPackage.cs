using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Engine;

/// <summary>
/// Everything about the base model that scoring needs besides trained weights: its config, tokenizer (and the tokenizer
/// files, kept in memory so a model zip is self-contained), and its identity (folder name and weight hash) for the
/// model card and for adapter-only saves.
/// </summary>
public sealed class ModelPackage
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

    public static ModelPackage Create(FineTuneOptions options, IEnumerable<string> trainingTexts, Action<string> log)
    {
        if (options.BaseModelFolder is { } folder)
        {
            if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"BaseModelFolder '{folder}' does not exist.");
            var config = TransformerConfig.Load(Path.Combine(folder, "config.json"));
            var tokenizer = TransformerTokenizer.FromFolder(folder);
            return new ModelPackage
            {
                Config = config, Tokenizer = tokenizer, Files = ReadFiles(tokenizer.SourceFiles.Append(Path.Combine(folder, "config.json"))),
                BaseName = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar)),
                BaseWeightsSha256 = CheckpointFolder.WeightsSha256(folder), BaseFolder = folder,
            };
        }
        var temp = Path.Combine(Path.GetTempPath(), "mlnet-finetune-" + Guid.NewGuid().ToString("N"));
        try
        {
            var config = BuiltInModel.WriteFolder(temp, options.BuiltInModel, trainingTexts);
            log($"FineTune: no BaseModelFolder given; training the built-in model from scratch (vocabulary {config.VocabSize} learnt from the training texts).");
            return new ModelPackage
            {
                Config = config, Tokenizer = TransformerTokenizer.FromFolder(temp), Files = ReadFiles(Directory.GetFiles(temp)), BaseName = "builtin",
            };
        }
        finally { Directory.Delete(temp, true); }
    }

    /// <summary>Rebuilds a package from saved files (model zip loading).</summary>
    public static ModelPackage FromFiles(IReadOnlyDictionary<string, byte[]> files, string baseName, string? baseSha256)
    {
        if (!files.TryGetValue("config.json", out var configBytes)) throw new InvalidDataException("The saved model has no tokenizer/config.json entry.");
        var config = TransformerConfig.FromJson(System.Text.Json.Nodes.JsonNode.Parse(configBytes)!.AsObject(), "model zip tokenizer/config.json");
        return new ModelPackage { Config = config, Tokenizer = TokenizerFromFiles(files), Files = files, BaseName = baseName, BaseWeightsSha256 = baseSha256 };
    }

    /// <summary>This package with its pretrained weights read from <paramref name="folder"/> (trainable-only model zips).</summary>
    public ModelPackage WithBaseFolder(string folder) => new()
    {
        Config = Config, Tokenizer = Tokenizer, Files = Files, BaseName = BaseName, BaseWeightsSha256 = BaseWeightsSha256, BaseFolder = folder,
    };

    /// <summary>A tokenizer rebuilt from saved files (written to a temporary folder that is removed again).</summary>
    public static TransformerTokenizer TokenizerFromFiles(IReadOnlyDictionary<string, byte[]> files)
    {
        var temp = Path.Combine(Path.GetTempPath(), "mlnet-finetune-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        try
        {
            foreach (var (name, bytes) in files)
            {
                if (name != Path.GetFileName(name) || name is "." or "..") throw new InvalidDataException($"Invalid tokenizer file name '{name}'.");
                File.WriteAllBytes(Path.Combine(temp, name), bytes);
            }
            return TransformerTokenizer.FromFolder(temp);
        }
        finally { Directory.Delete(temp, true); }
    }

    static Dictionary<string, byte[]> ReadFiles(IEnumerable<string> paths) =>
        paths.Where(File.Exists).DistinctBy(Path.GetFileName).ToDictionary(p => Path.GetFileName(p)!, File.ReadAllBytes);

    /// <summary>The encoder with base weights (or HF-style random init for the built-in model) and one head module per task.</summary>
    public TaskNetwork BuildNetwork(IReadOnlyList<ITaskHead> heads, IReadOnlyList<double>? lossWeights, PeftOptions peftOptions)
    {
        var peft = new PeftModel(peftOptions, Config.ModelType, heads.Select(h => h.Name).ToList());
        var network = BuildNetwork(heads, lossWeights, peft.Projection, peft.IsAddedByProjection);
        peft.Attach(network.Encoder, network.HeadsModule);
        if (peft.Prompt is { } prompt)
        {
            network.AddAuxiliary("prompt", prompt);
            network.InputTransform = peft.PrepareInput;
            network.OutputTransform = o => new EncoderOutput(peft.RealTokenStates(o), o.Pooled);
        }
        network.Peft = peft;
        return network;
    }

    TaskNetwork BuildNetwork(IReadOnlyList<ITaskHead> heads, IReadOnlyList<double>? lossWeights, ProjectionFactory? projection, Func<string, bool> addedByProjection)
    {
        EncoderModel encoder;
        IReadOnlyDictionary<string, Tensor> headTensors = new Dictionary<string, Tensor>();
        if (BaseFolder is null)
        {
            encoder = EncoderFactory.Create(Config, projection);
            HuggingFaceInit.Apply(encoder);
        }
        else
        {
            var loaded = PretrainedEncoder.Load(BaseFolder, projection, addedByProjection);
            encoder = loaded.Encoder;
            headTensors = loaded.HeadTensors;
        }
        var modules = heads.Select(h => { var m = h.CreateModule(Config); HuggingFaceInit.Apply(m); return m; }).ToList();
        // A checkpoint that already has a head of the right shape (e.g. *ForSequenceClassification) starts from it, as transformers does.
        if (heads.Count == 1 && headTensors.Count > 0)
        {
            var shapes = modules[0].named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
            if (shapes.All(s => headTensors.TryGetValue(s.Key, out var t) && t.shape.SequenceEqual(s.Value)))
                StateDictLoader.Load(modules[0], headTensors, BaseFolder!);
        }
        return new TaskNetwork(encoder, heads, modules) { LossWeights = lossWeights };
    }

    public FineTuneScorer Scorer(TaskNetwork network, IReadOnlyList<string> inputColumns, FineTuneOptions options) =>
        new(network, Tokenizer, inputColumns, options.OutputColumnPrefix, options.MaxSequenceLength, options.Truncation, options.ScoringBatchSize);

    public string Describe() => IsBuiltIn
        ? $"built-in {Config.ModelType} (hidden {Config.HiddenSize}, {Config.NumLayers} layers, vocab {Config.VocabSize}) trained from scratch"
        : $"{Config.ModelType} checkpoint '{BaseName}' (hidden {Config.HiddenSize}, {Config.NumLayers} layers, weights sha256 {BaseWeightsSha256?[..12]}…)";
}
