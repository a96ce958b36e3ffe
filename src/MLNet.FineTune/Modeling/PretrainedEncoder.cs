using MLNet.FineTune.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling;

/// <summary>An encoder built from a checkpoint folder's config and filled with its weights (safetensors, or a converted model.onnx).</summary>
internal sealed class PretrainedEncoder
{
    public required EncoderModel Encoder { get; init; }
    public required TransformerConfig Config { get; init; }
    public required LoadReport Report { get; init; }
    /// <summary>Checkpoint tensors that belong to no encoder weight (task heads such as <c>classifier.*</c>), by key.</summary>
    public required IReadOnlyDictionary<string, Tensor> HeadTensors { get; init; }
    public required string Folder { get; init; }

    /// <summary>
    /// Labels of the checkpoint's classification head: config.json's count when it states one, else the rows of the
    /// classifier weight (2-label checkpoints often state none), else 0 (no head).
    /// </summary>
    public int LabelCount => Config.Labels.Count > 0 ? Config.Labels.Count : ClassifierShape.LabelCount(HeadTensors) ?? 0;

    /// <summary>Loads an encoder; projections are built through <paramref name="projection"/> (PEFT wrapping).</summary>
    /// <param name="folder">Checkpoint folder.</param>
    /// <param name="projection">Builds every projection (LoRA and adapter wrapping); null: plain linear layers.</param>
    /// <param name="addedByProjection">Parameters the projection factory adds (bottleneck adapters), which no checkpoint holds.</param>
    /// <param name="config">The model config to build (e.g. with dropout overridden); null: the folder's config (<see cref="CheckpointFolder.ReadConfig"/>).</param>
    public static PretrainedEncoder Load(string folder, ProjectionFactory? projection = null, Func<string, bool>? addedByProjection = null, TransformerConfig? config = null)
    {
        config ??= CheckpointFolder.ReadConfig(folder);
        var checkpoint = CheckpointFolder.ReadStateDict(folder);
        EncoderModel encoder;
        LoadReport report;
        string prefix;
        try
        {
            ConfigWeightsCheck.Check(config, checkpoint.ToDictionary(kv => kv.Key, kv => kv.Value.shape), folder);
            prefix = StateDictLoader.DetectPrefix(checkpoint, config.ModelType);
            bool hasPooler = checkpoint.ContainsKey(prefix + "pooler.dense.weight");
            encoder = EncoderFactory.Create(config, projection, addPooler: hasPooler);
            report = StateDictLoader.Load(encoder, checkpoint, folder, prefix, addedByProjection);
        }
        catch
        {
            // A refused checkpoint leaves nothing to the finalizer.
            foreach (var tensor in checkpoint.Values) tensor.Dispose();
            throw;
        }
        var heads = checkpoint.Where(kv => prefix.Length > 0 ? !kv.Key.StartsWith(prefix, StringComparison.Ordinal) : report.Unexpected.Contains(kv.Key))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (key, tensor) in checkpoint) if (!heads.ContainsKey(key)) tensor.Dispose();
        return new PretrainedEncoder { Encoder = encoder, Config = config, Report = report, HeadTensors = heads, Folder = folder };
    }
}
