using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.TextGeneration;

/// <summary>
/// Tiny random decoders with the built-in byte-level tokenizer (milliseconds, no fixtures): as an in-memory
/// <see cref="TextGenerationTransformer"/>, or written as a Hugging Face checkpoint folder for the estimator's BaseModelFolder.
/// </summary>
internal static class TinyGenerationModels
{
    public static ScratchDecoderOptions Gpt2 => new() { ModelType = "gpt2", HiddenSize = 16, NumLayers = 2, NumHeads = 2, MaxPositions = 96 };
    public static ScratchDecoderOptions Llama => new() { ModelType = "llama", HiddenSize = 16, NumLayers = 2, NumHeads = 4, NumKeyValueHeads = 2, MaxPositions = 96 };

    public static DecoderPackage Package(ScratchDecoderOptions shape) =>
        DecoderPackage.FromScratch(TextGenerationFineTuneOptionsValidation.ToConfig(shape, ByteLevelTokenizerFiles.VocabSize, ByteLevelTokenizerFiles.EndOfTextId),
            ByteLevelTokenizerFiles.Create(shape.MaxPositions));

    /// <summary>A fitted-like model without training: random weights (seeded), LoRA with a random B when <paramref name="lora"/>.</summary>
    public static TextGenerationTransformer Transformer(IHostEnvironment env, ScratchDecoderOptions shape, bool lora = false, int seed = 3,
        TextGenerationSettings? generation = null, PromptFormat? format = null, string output = "Completion")
    {
        var peft = lora ? new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 2, Alpha = 4, InitLoraWeights = false, TargetModules = TextGenerationFineTuneEstimator.AttentionAndMlp(shape.ModelType) } }
            : new PeftOptions();
        TextGenerationModel model;
        using (var rng = new TorchRandomStream(seed)) model = TextGenerationModel.Create(Package(shape), peft, null, rng);
        var settings = new TextGenerationModelSettings("Prompt", output, generation ?? new TextGenerationSettings { MaxNewTokens = 8, BatchSize = 3 },
            format ?? new PromptFormat(PromptFormatKind.PromptCompletion, null), model.LoraOptions, shape.MaxPositions);
        return new TextGenerationTransformer(env, model, settings, new TrainingHistory());
    }

    /// <summary>Writes a random decoder as a checkpoint folder (config.json, tokenizer files, model.safetensors in transformers' layout).</summary>
    public static void WriteCheckpoint(string folder, ScratchDecoderOptions shape, int seed = 5)
    {
        var package = Package(shape);
        Directory.CreateDirectory(folder);
        foreach (var (name, bytes) in package.Files) File.WriteAllBytes(Path.Combine(folder, name), bytes);
        ICausalLanguageModel model;
        using (var rng = new TorchRandomStream(seed)) model = rng.Use(() => { var m = DecoderFactory.Create(package.Config); HuggingFaceInit.Apply(m.Module, 0.2); return m; });
        var weights = DecoderFactory.ToCheckpointLayout(model, model.Module.named_parameters().Select(p => (p.name, (TorchSharp.torch.Tensor)p.parameter)));
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), weights);
        GC.KeepAlive(model); // a collected module's finalizer disposes its parameters, even while they are being written
    }
}
