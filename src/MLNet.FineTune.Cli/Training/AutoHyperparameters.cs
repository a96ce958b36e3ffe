using MLNet.FineTune.Peft;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// What <c>auto</c> means for <c>--epochs</c>, <c>--batch-size</c> and <c>--learning-rate</c> (also printed by <c>train --help</c>).
/// Chosen from the number of training rows n and the starting point:
/// <list type="bullet">
/// <item>batch size: 8 when n &lt; 500, 16 when n &lt; 5,000, else 32 (small data: more updates per epoch);</item>
/// <item>epochs: 10 when n &lt; 100, 5 when n &lt; 1,000, 3 when n &lt; 10,000, else 2 (about the same number of optimizer steps
/// for small sets; large sets need fewer passes);</item>
/// <item>learning rate: 1e-4 for full fine-tuning or BitFit of a pretrained model (the library's default, measured on SST-2 with
/// MiniLM, docs/benchmarks.md), 1e-3 for the built-in model trained from scratch and for head-only training, 5e-4 for LoRA and
/// bottleneck adapters (fewer trained weights take larger steps, as in the LoRA paper's GLUE recipes), 1e-2 for prompt tuning.</item>
/// </list>
/// </summary>
internal static class AutoHyperparameters
{
    public const string Rule =
        "auto: batch 8 if rows < 500, 16 if < 5,000, else 32; epochs 10 if rows < 100, 5 if < 1,000, 3 if < 10,000, else 2; " +
        "learning rate 1e-4 (pretrained, full/bitfit), 1e-3 (builtin model or head-only), 5e-4 (lora, adapters), 1e-2 (prompt tuning); " +
        "setfit and embeddings: sentence-transformers' defaults, 1 epoch, batch 16, learning rate 2e-5 (5e-4 with lora); " +
        "completions: the library's defaults, builtin (from scratch) 10 epochs, batch 32, learning rate 1e-3; a checkpoint 3 epochs, batch 8, " +
        "learning rate 2e-4 with lora (2e-5 full); the batch never above the rows.";

    // SetFit draws many pairs from few rows, and contrastive fine-tuning of a pretrained sentence encoder moves it
    // little: sentence-transformers' fit defaults (one epoch, batch 16, 2e-5) are the library's defaults for both.
    public const int EmbeddingEpochs = 1, EmbeddingBatchSize = 16;

    public static double EmbeddingLearningRate(PeftMethod method) => method == PeftMethod.Lora ? 5e-4 : 2e-5;

    /// <summary>completions: FineTuneTextGeneration's own defaults (cosine schedule, warmup, clipping) for a scratch model or a checkpoint.</summary>
    public static MLNet.FineTune.Training.TrainingOptions CompletionDefaults(bool builtIn) =>
        builtIn ? TextGenerationFineTuneOptions.DefaultScratchTraining : TextGenerationFineTuneOptions.DefaultTraining;

    // LoRA's 2e-4 is PEFT's usual for decoders; full fine-tuning of a pretrained decoder takes a tenth (transformers' 2e-5 default).
    public static double CompletionLearningRate(bool builtIn, PeftMethod method) =>
        builtIn ? CompletionDefaults(true).LearningRate : method == PeftMethod.Lora ? CompletionDefaults(false).LearningRate : 2e-5;

    public static int BatchSize(int rows) => rows < 500 ? 8 : rows < 5_000 ? 16 : 32;

    public static int Epochs(int rows) => rows < 100 ? 10 : rows < 1_000 ? 5 : rows < 10_000 ? 3 : 2;

    public static double LearningRate(bool builtIn, PeftMethod method) => method switch
    {
        PeftMethod.PromptTuning => 1e-2,
        PeftMethod.Lora or PeftMethod.Houlsby or PeftMethod.Pfeiffer => 5e-4,
        PeftMethod.HeadOnly => 1e-3,
        _ => builtIn ? 1e-3 : 1e-4,
    };
}
