using Microsoft.Extensions.AI;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Data;
using MLNet.FineTune.Generation;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Scoring;
using MLNet.FineTune.Training;

[assembly: ZipPersistedTransformer(typeof(MLNet.FineTune.TextGenerationTransformer), PayloadVersion = 1, OldestReadablePayloadVersion = 1)]

namespace MLNet.FineTune;

/// <summary>
/// A fitted causal language model: adds a text column (<see cref="OutputColumnName"/>, default "Completion") generated
/// for each row's <see cref="PromptColumnName"/>, <see cref="TextGenerationSettings.BatchSize"/> prompts per generation
/// call (left-padded into one batch). Saved by <c>mlContext.Model.Save</c> into one zip with its config, tokenizer,
/// weights (a LoRA adapter included, unmerged), generation settings and chat template. <see cref="AsChatClient"/>
/// exposes it as Microsoft.Extensions.AI's <c>IChatClient</c>; <see cref="SaveLoraAdapter"/> writes PEFT's adapter files.
/// Thread-safe: every call generates with its own state.
/// </summary>
public sealed partial class TextGenerationTransformer : ZipPersistedTransformer, IZipPersistedLoadable<TextGenerationTransformer>, IDisposable
{
    internal TextGenerationTransformer(IHostEnvironment env, TextGenerationModel model, TextGenerationModelSettings settings, TrainingHistory history)
        : base(env, "TextGeneration")
    {
        Model = model; Settings = settings; History = history;
        model.ForInference();
        var tokenizer = model.Package.Tokenizer;
        Generator = new TextGenerator(model.Decoder, ids => tokenizer.Decode(ids, skipSpecialTokens: true));
        Prompts = new TextGenerationPrompts(model.Package, settings.Format, settings.MaxSequenceLength);
    }

    internal TextGenerationModel Model { get; }
    internal TextGenerationModelSettings Settings { get; }
    internal TextGenerator Generator { get; }
    internal TextGenerationPrompts Prompts { get; }

    /// <summary>The base model's name (the checkpoint folder's name, or "scratch").</summary>
    public string ModelId => Model.Package.BaseName;
    /// <summary>Prompt column the model reads (String).</summary>
    public string PromptColumnName => Settings.PromptColumn;
    /// <summary>Generated text column the model adds (String).</summary>
    public string OutputColumnName => Settings.OutputColumn;
    /// <summary>How the model generates (saved with it).</summary>
    public TextGenerationSettings Generation => Settings.Generation;
    /// <summary>Losses, learning rates and validation metrics recorded while training (empty for a loaded model).</summary>
    public TrainingHistory History { get; }

    /// <summary>Generates a completion for each prompt (rendered as in training), <see cref="TextGenerationSettings.BatchSize"/> at a time.</summary>
    /// <param name="prompts">Prompts as the prompt column holds them.</param>
    /// <param name="settings">Overrides the model's <see cref="Generation"/> for this call; null: the model's.</param>
    public string[] Generate(IReadOnlyList<string> prompts, TextGenerationSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        settings ??= Generation;
        settings.Validate("settings");
        var result = new List<string>(prompts.Count);
        foreach (var chunk in prompts.Chunk(settings.BatchSize))
            result.AddRange(GenerateBatch(chunk.Select((p, i) => Prompts.EncodePrompt(p ?? "", $"Prompt {result.Count + i}")).ToList(), settings.ToGenerationOptions(), default)
                .Select(r => r.Text ?? ""));
        return result.ToArray();
    }

    internal IReadOnlyList<GeneratedSequence> GenerateBatch(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, CancellationToken cancellation) =>
        Generator.Generate(prompts, Prompts.ForModel(options), cancellation);

    /// <summary>
    /// This model as Microsoft.Extensions.AI's chat client (thread-safe): the messages are rendered with the model's chat
    /// template (with the assistant's generation prompt), <c>ChatOptions</c> (MaxOutputTokens, Temperature, TopP, TopK,
    /// StopSequences, Seed) override <see cref="Generation"/>, and streaming yields text as it is generated.
    /// </summary>
    public IChatClient AsChatClient() => new TextGenerationChatClient(this);

    /// <summary>
    /// Writes the LoRA adapter in Hugging Face PEFT's format (adapter_config.json, adapter_model.safetensors), loadable by
    /// <c>PeftModel.from_pretrained(base, folder)</c> and by <see cref="TextGenerationFineTuneOptions.AdapterFolder"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model was fully fine-tuned (it has no adapter).</exception>
    public void SaveLoraAdapter(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var lora = Model.Lora ?? throw new InvalidOperationException("This model was fully fine-tuned (Peft.Method Full); it has no LoRA adapter to save. Save the whole model with mlContext.Model.Save.");
        lora.SaveAdapter(folder, TextGenerationModel.AdapterName, Model.Package.BaseName);
    }

    private protected override IBatchScorer CreateScorer(DataViewSchema inputSchema)
    {
        DataViewColumns.RequireText(inputSchema, PromptColumnName, "Prompt");
        return new TextGenerationScorer(this);
    }

    /// <summary>Does not free the model: ML.NET calls this from every PredictionEngine.Dispose while the model is still shared (see FineTuneTransformer.Dispose).</summary>
    public void Dispose() { }
}

/// <summary>How a prompt row becomes tokens: the prompt as prompt/completion training encoded it, or a user message rendered by a chat template.</summary>
internal enum PromptFormatKind { PromptCompletion, Chat }

/// <summary>Prompt rendering saved with the model: the kind, and for chats the template (name or Jinja text).</summary>
internal sealed record PromptFormat(PromptFormatKind Kind, string? ChatTemplate);

/// <summary>How a fitted model reads prompts, writes completions and generates; saved with the model.</summary>
internal sealed record TextGenerationModelSettings(string PromptColumn, string OutputColumn, TextGenerationSettings Generation, PromptFormat Format,
    LoraOptions? Lora, int MaxSequenceLength);

/// <summary>Generates the output column for a batch of prompt rows (one left-padded generation call per batch).</summary>
internal sealed class TextGenerationScorer(TextGenerationTransformer model) : IBatchScorer
{
    public IReadOnlyList<string> InputColumnNames { get; } = [model.PromptColumnName];
    public IReadOnlyList<ScoredColumn> OutputColumns { get; } = [new ScoredColumn(model.OutputColumnName, TextDataViewType.Instance)];
    public int BatchSize => model.Generation.BatchSize;

    public Array[] Score(IReadOnlyList<object?[]> inputs)
    {
        var prompts = inputs[0].Select((v, i) => model.Prompts.EncodePrompt(v as string ?? "", $"Row {i} of the batch ('{model.PromptColumnName}')")).ToList();
        var generated = model.GenerateBatch(prompts, model.Generation.ToGenerationOptions(), default);
        return [generated.Select(g => (g.Text ?? "").AsMemory()).ToArray()];
    }
}
