using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Gpt2;
using MLNet.FineTune.Modeling.Llama;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Decoding;

/// <summary>Builds the decoder a config describes (random weights; load a checkpoint into it afterwards).</summary>
internal static class DecoderFactory
{
    public static ICausalLanguageModel Create(DecoderConfig config, DecoderProjectionFactory? projection = null)
    {
        config.Validate("model config");
        return config.Family switch
        {
            DecoderFamily.Gpt2 => new Gpt2LMHeadModel(config, projection),
            _ => new LlamaForCausalLM(config, projection),
        };
    }

    /// <summary>Checkpoint tensors in the module's layout and names (GPT-2's Conv1D weights transposed).</summary>
    public static Dictionary<string, Tensor> ToModuleLayout(DecoderConfig config, IReadOnlyDictionary<string, Tensor> checkpoint) =>
        config.Family == DecoderFamily.Gpt2 ? Gpt2Checkpoint.ToModuleLayout(checkpoint) : checkpoint.ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>The model's weights as transformers saves them (plain names, GPT-2's Conv1D weights [in, out]).</summary>
    public static Dictionary<string, Tensor> ToCheckpointLayout(ICausalLanguageModel model, IEnumerable<(string Name, Tensor Value)> parameters) =>
        model.Config.Family == DecoderFamily.Gpt2 ? Gpt2Checkpoint.ToCheckpointLayout(parameters) : parameters.ToDictionary(p => p.Name, p => p.Value.detach());
}

/// <summary>A decoder built from a checkpoint folder's config.json and filled with its (possibly sharded) safetensors.</summary>
internal sealed class PretrainedDecoder
{
    public required ICausalLanguageModel Model { get; init; }
    public required LoadReport Report { get; init; }
    public required string Folder { get; init; }
    public DecoderConfig Config => Model.Config;

    /// <param name="folder">Checkpoint folder (config.json + model.safetensors or shards with their index).</param>
    /// <param name="projection">Builds every projection (LoRA wrapping); null: plain linear layers.</param>
    /// <param name="config">The config to build (e.g. without dropout); null: the folder's config.json.</param>
    public static PretrainedDecoder Load(string folder, DecoderProjectionFactory? projection = null, DecoderConfig? config = null)
    {
        config ??= DecoderConfig.Load(Path.Combine(folder, CheckpointFolder.ConfigFile));
        var checkpoint = CheckpointFolder.ReadStateDict(folder);
        Dictionary<string, Tensor>? moduleLayout = null;
        try
        {
            moduleLayout = DecoderFactory.ToModuleLayout(config, checkpoint);
            CheckEmbeddings(config, moduleLayout, folder);
            var model = TorchRandomStream.Exclusive(() => DecoderFactory.Create(config, projection));
            var report = StateDictLoader.Load(model.Module, moduleLayout, folder);
            return new PretrainedDecoder { Model = model, Report = report, Folder = folder };
        }
        finally
        {
            foreach (var tensor in checkpoint.Values) tensor.Dispose();
            if (moduleLayout is not null) foreach (var tensor in moduleLayout.Values) tensor.Dispose();
        }
    }

    // Building allocates what config.json asks for; the embedding matrix must really be in the weights first.
    static void CheckEmbeddings(DecoderConfig config, IReadOnlyDictionary<string, Tensor> weights, string folder)
    {
        var key = config.Family == DecoderFamily.Gpt2 ? "transformer.wte.weight" : "model.embed_tokens.weight";
        if (!weights.TryGetValue(key, out var embeddings))
            throw new CheckpointException($"{folder}: the weights have no '{key}'; is this a {config.ModelType} checkpoint?");
        if (embeddings.size(0) != config.VocabSize || embeddings.size(1) != config.HiddenSize)
            throw new CheckpointException($"{folder}: config.json asks for vocab_size × hidden size [{config.VocabSize}, {config.HiddenSize}] but '{key}' is " +
                $"[{embeddings.size(0)}, {embeddings.size(1)}]. Is config.json from the same checkpoint as the weights?");
    }
}
