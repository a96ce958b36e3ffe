using Microsoft.ML;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;

namespace MLNet.FineTune;

/// <summary>Which tokens the causal-LM loss covers.</summary>
public enum TextGenerationLoss
{
    /// <summary>Only the completion (prompt/completion data) or the assistant turns (chat data): the model learns to answer, not to write prompts.</summary>
    CompletionOnly,

    /// <summary>Every token of the example, prompt and template included (plain language modelling).</summary>
    AllTokens,
}

/// <summary>
/// Options of <c>mlContext.Transforms.FineTuneTextGeneration</c>: supervised fine-tuning of a causal language model
/// (GPT-2, Llama, Qwen2, Mistral checkpoints, or a small decoder trained from scratch) on prompt/completion or chat
/// data. Every default lives here; <c>Fit</c> never modifies the options.
/// <para>
/// Columns: training reads <see cref="PromptColumnName"/> and <see cref="CompletionColumnName"/>, or
/// <see cref="MessagesColumnName"/> (chat). The fitted model reads <see cref="PromptColumnName"/> and adds
/// <see cref="OutputColumnName"/> (default "Completion"): transforming data that already has a Completion column (the
/// training data) hides the original behind the generated one, as any ML.NET transform's output of the same name does.
/// To compare generated text with reference completions, set <see cref="OutputColumnName"/> to another name.
/// </para>
/// </summary>
public sealed record TextGenerationFineTuneOptions
{
    /// <summary>A Hugging Face decoder checkpoint folder (config.json, tokenizer files, safetensors). Set this or <see cref="Scratch"/>.</summary>
    public string? BaseModelFolder { get; init; }

    /// <summary>Train a new decoder from random weights instead (no checkpoint needed). Set this or <see cref="BaseModelFolder"/>.</summary>
    public ScratchDecoderOptions? Scratch { get; init; }

    /// <summary>
    /// A PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors, as PEFT's <c>save_pretrained</c>
    /// writes) for <see cref="BaseModelFolder"/>: training continues from it (its rank, alpha and targets replace
    /// <see cref="Peft"/>'s). Default null.
    /// </summary>
    public string? AdapterFolder { get; init; }

    /// <summary>Prompt text (String): read in training with <see cref="CompletionColumnName"/>, and by the fitted model. Default "Prompt".</summary>
    public string PromptColumnName { get; init; } = "Prompt";

    /// <summary>The completion the model should write for the prompt (String); training only. Default "Completion".</summary>
    public string CompletionColumnName { get; init; } = "Completion";

    /// <summary>
    /// Chat training data instead of prompt/completion: a String column holding each example's messages as OpenAI-style
    /// JSON (<c>[{"role": "system"|"user"|"assistant", "content": "…", "weight": 0|1}, …]</c>, or an object with a
    /// <c>messages</c> array), rendered with <see cref="ChatTemplate"/>. Null (default): prompt/completion data.
    /// </summary>
    public string? MessagesColumnName { get; init; }

    /// <summary>
    /// How chats are turned into text, in training and by the chat client: <c>chatml</c>, <c>llama3</c>, or a Jinja
    /// template in the supported subset. Null (default): the checkpoint's own <c>chat_template</c>, else ChatML.
    /// </summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Generated text column added by the fitted model (String). Default "Completion" (see the class remarks on hiding).</summary>
    public string OutputColumnName { get; init; } = "Completion";

    /// <summary>Which tokens are trained. Default <see cref="TextGenerationLoss.CompletionOnly"/>.</summary>
    public TextGenerationLoss Loss { get; init; } = TextGenerationLoss.CompletionOnly;

    /// <summary>
    /// Pack several short examples into each training row of <see cref="MaxSequenceLength"/> tokens (fewer padding
    /// tokens, faster epochs); each example still attends only to itself. Default false.
    /// </summary>
    public bool Packing { get; init; }

    /// <summary>Tokens per training example (prompt + completion) at most; longer examples are refused with their row. Null: the model's positions, at most 1024.</summary>
    public int? MaxSequenceLength { get; init; }

    /// <summary>
    /// How the model is trained. Null (default): LoRA (r 16, alpha 32) on every attention and MLP projection for a
    /// checkpoint (<c>c_attn</c>, <c>c_proj</c>, <c>c_fc</c> for GPT-2; the seven projections for the Llama family);
    /// full fine-tuning for a scratch model. Full and Lora are supported.
    /// </summary>
    public PeftOptions? Peft { get; init; }

    /// <summary>Training hyper-parameters. Null: <see cref="DefaultTraining"/> (LoRA or a checkpoint) or <see cref="DefaultScratchTraining"/>.</summary>
    public TrainingOptions? Training { get; init; }

    /// <summary>LoRA / checkpoint defaults: learning rate 2e-4 (PEFT's usual for LoRA), batch 8, 3 epochs, 3% warmup, cosine decay, clipping at 1.</summary>
    public static TrainingOptions DefaultTraining { get; } = new()
    {
        LearningRate = 2e-4, BatchSize = 8, Epochs = 3, WarmupRatio = 0.03, Schedule = LearningRateScheduleKind.Cosine, WeightDecay = 0,
    };

    /// <summary>Scratch defaults: learning rate 1e-3, batch 32, 10 epochs, 5% warmup, cosine decay, weight decay 0.01, clipping at 1.</summary>
    public static TrainingOptions DefaultScratchTraining { get; } = new()
    {
        LearningRate = 1e-3, BatchSize = 32, Epochs = 10, WarmupRatio = 0.05, Schedule = LearningRateScheduleKind.Cosine,
    };

    /// <summary>Held-out data with the training columns; evaluated by <c>Training.EvaluationStrategy</c> (loss and perplexity). Default null.</summary>
    public IDataView? ValidationSet { get; init; }

    /// <summary>When no <see cref="ValidationSet"/> is given: fraction of the training rows held out for validation. Default 0.</summary>
    public double ValidationFraction { get; init; }

    /// <summary>How the fitted model generates (greedy, 64 new tokens by default); saved with it.</summary>
    public TextGenerationSettings Generation { get; init; } = new();

    /// <summary>Receives a report after every optimizer step. Default null.</summary>
    public IProgress<FineTuneProgress>? Progress { get; init; }

    /// <summary>Stops training at the next step boundary (the model so far is returned; a checkpoint is written when a checkpoint folder is set).</summary>
    public CancellationToken CancellationToken { get; init; }
}
