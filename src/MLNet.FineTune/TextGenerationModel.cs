using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Peft;
using static TorchSharp.torch;

namespace MLNet.FineTune;

/// <summary>
/// A causal LM as the text-generation estimator trains it and the transformer uses it: the package (config, tokenizer,
/// identity), the decoder, and its LoRA adapter when it has one (kept unmerged, so it can be saved in PEFT's format).
/// </summary>
internal sealed class TextGenerationModel
{
    public const string AdapterName = "default";

    TextGenerationModel(DecoderPackage package, ICausalLanguageModel decoder, DecoderLora? lora)
    {
        Package = package; Decoder = decoder; Lora = lora;
    }

    public DecoderPackage Package { get; }
    public ICausalLanguageModel Decoder { get; }
    /// <summary>The LoRA wrapper, or null for full fine-tuning.</summary>
    public DecoderLora? Lora { get; }
    /// <summary>The adapter's settings (saved with the model), or null.</summary>
    public LoraOptions? LoraOptions => Lora?.Lora.Adapters.GetValueOrDefault(AdapterName);

    /// <summary>
    /// The model to train: a checkpoint's weights, or HF's initialisation (N(0, 0.02)) for a scratch model, drawn from
    /// <paramref name="rng"/>; with LoRA, a fresh adapter (or <paramref name="adapterFolder"/>'s) on a frozen base.
    /// </summary>
    public static TextGenerationModel Create(DecoderPackage package, PeftOptions peft, string? adapterFolder, TorchRandomStream rng)
    {
        DecoderLora? lora = peft.Method == PeftMethod.Lora ? new DecoderLora(package.Config.ModelType) : null;
        ICausalLanguageModel decoder;
        if (package.BaseFolder is { } folder)
            decoder = PretrainedDecoder.Load(folder, lora?.Projection, package.Config).Model;
        else
            decoder = rng.Use(() =>
            {
                var model = DecoderFactory.Create(package.Config, lora?.Projection);
                HuggingFaceInit.Apply(model.Module);
                return model;
            });
        if (lora is not null)
        {
            lora.Attach(decoder);
            if (adapterFolder is not null) lora.LoadAdapter(adapterFolder, AdapterName);
            else rng.Use(() => lora.AddAdapter(AdapterName, peft.Lora));
        }
        return new TextGenerationModel(package, decoder, lora);
    }

    /// <summary>A saved model: the same structure (adapter included) filled with the saved tensors.</summary>
    public static TextGenerationModel Restore(DecoderPackage package, LoraOptions? loraOptions, IReadOnlyDictionary<string, Tensor> weights, string where)
    {
        var embedding = package.Config.Family == DecoderFamily.Gpt2 ? "transformer.wte.weight" : "model.embed_tokens.weight";
        if (!weights.TryGetValue(embedding, out var e) || e.size(0) != package.Config.VocabSize || e.size(1) != package.Config.HiddenSize)
            throw new Persistence.ModelPayloadException($"{where}: '{embedding}' is missing or not [{package.Config.VocabSize}, {package.Config.HiddenSize}] as config.json says.");
        var lora = loraOptions is null ? null : new DecoderLora(package.Config.ModelType);
        var decoder = TorchRandomStream.Exclusive(() => DecoderFactory.Create(package.Config, lora?.Projection));
        if (lora is not null)
        {
            lora.Attach(decoder);
            lora.AddAdapter(AdapterName, loraOptions!);
        }
        StateDictLoader.Load(decoder.Module, weights, where);
        return new TextGenerationModel(package, decoder, lora);
    }

    /// <summary>Every parameter under the module's names (adapters included): what a model zip holds.</summary>
    public Dictionary<string, Tensor> ModuleWeights() => Decoder.Module.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

    /// <summary>Switches to inference: eval mode, nothing requires gradients (the decoder is shared by every scorer thread).</summary>
    public void ForInference()
    {
        Decoder.Module.eval();
        foreach (var p in Decoder.Module.parameters()) p.requires_grad = false;
    }
}
