using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;
using static MLNet.FineTune.SchemaShapeChecks;

namespace MLNet.FineTune;

/// <summary>
/// Supervised fine-tuning of a causal language model on prompt/completion or chat rows; <see cref="Fit"/> returns a
/// <see cref="TextGenerationTransformer"/> that adds a generated completion for each prompt. Created by
/// <c>mlContext.Transforms.FineTuneTextGeneration(...)</c>. Training is <c>Trainer&lt;T&gt;</c>'s (schedules, gradient
/// accumulation, clipping, validation loss and perplexity, early stopping, checkpoints and resume), logged to MLContext.Log.
/// </summary>
public sealed class TextGenerationFineTuneEstimator : IEstimator<TextGenerationTransformer>
{
    readonly IHostEnvironment context;

    public TextGenerationFineTuneEstimator(IHostEnvironment context, TextGenerationFineTuneOptions options)
    {
        this.context = context ?? throw new ArgumentNullException(nameof(context));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        TextGenerationFineTuneOptionsValidation.Validate(options);
    }

    public TextGenerationFineTuneOptions Options { get; }

    IReadOnlyList<(string Name, string Role)> TrainingColumns => Options.MessagesColumnName is { } messages
        ? [(messages, "Messages")] : [(Options.PromptColumnName, "Prompt"), (Options.CompletionColumnName, "Completion")];

    /// <summary>Checks the training columns (String) and adds the generated text column. The fitted model reads <see cref="TextGenerationFineTuneOptions.PromptColumnName"/>.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        foreach (var (name, role) in TrainingColumns) RequireText(inputSchema, name, role);
        var result = inputSchema.ToDictionary(c => c.Name);
        result[Options.OutputColumnName] = new SchemaShape.Column(Options.OutputColumnName, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false);
        return new SchemaShape(result.Values);
    }

    /// <summary>The effective PEFT method: the options', else LoRA on attention and MLP projections for a checkpoint, full training from scratch.</summary>
    internal static PeftOptions ResolvePeft(TextGenerationFineTuneOptions options, string modelType) => options.Peft
        ?? (options.Scratch is not null ? new PeftOptions { Method = PeftMethod.Full }
            : new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 16, Alpha = 32, TargetModules = AttentionAndMlp(modelType) } });

    /// <summary>Every attention and MLP projection of the architecture (GPT-2's <c>c_proj</c> names both an attention and an MLP projection).</summary>
    internal static IReadOnlyList<string> AttentionAndMlp(string modelType) => modelType == "gpt2"
        ? ["c_attn", "c_proj", "c_fc"]
        : ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Reads the examples, builds (or loads) the decoder, trains it and returns the generation model.</summary>
    public TextGenerationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema));
        if (Options.ValidationSet is { } validationSet)
            foreach (var (name, role) in TrainingColumns) DataViewColumns.RequireText(validationSet.Schema, name, "ValidationSet " + role);
        TorchRuntime.EnsureLoaded();
        using var channel = context.Register("FineTuneTextGeneration").Start("Fit");
        Action<string> log = m => channel.Info(m);
        var o = Options;

        var package = CreatePackage(o);
        var peft = ResolvePeft(o, package.Config.ModelType);
        var training = EffectiveTraining;
        var (maxLength, format) = Layout(package);

        var examples = ReadExamples(input, "Training data");
        if (examples.Count == 0) throw new InvalidOperationException("The training data has no rows; FineTuneTextGeneration needs at least one example.");
        var validation = o.ValidationSet is { } valid ? ReadExamples(valid, "ValidationSet") : [];
        if (o.ValidationFraction > 0) (examples, validation) = Split(examples, o.ValidationFraction, training.Seed);

        var model = CreateModel(package, peft, training.Seed);
        var encoder = TextGenerationEncoding.Encoder(package, format, o.Loss, maxLength);
        int padId = package.Tokenizer.PadTokenId;
        var trainSource = TextGenerationEncoding.BatchSource(encoder, examples, padId, o.Packing ? maxLength : null);
        var counts = model.Lora?.ParameterReport() is { } report ? $"{report.Trainable:N0} of {report.All:N0} parameters trained (LoRA r {model.LoraOptions!.Rank})"
            : $"{model.Decoder.Module.parameters().Sum(p => p.numel()):N0} parameters, all trained";
        log($"FineTuneTextGeneration: {package.Describe()}; {counts}; {examples.Count} training examples ({trainSource.Count} rows{(o.Packing ? ", packed" : "")}), " +
            $"{validation.Count} validation; loss on {(o.Loss == TextGenerationLoss.CompletionOnly ? "completions only" : "all tokens")}.");

        var trainable = new CausalLmTrainingModel(model.Decoder);
        Func<IReadOnlyDictionary<string, double>>? evaluate = null;
        if (validation.Count > 0)
        {
            var validSource = TextGenerationEncoding.BatchSource(encoder, validation, padId, packToLength: null);
            evaluate = () => CausalLmEvaluation.Evaluate(model.Decoder, validSource, training.BatchSize);
        }
        var history = new Trainer<CausalLmBatch>(training, o.Progress, log).Train(trainable, trainSource, evaluate, o.CancellationToken);
        var metrics = evaluate?.Invoke();
        log($"FineTuneTextGeneration: done after {history.GlobalStep} steps ({history.StopReason})" +
            (metrics is null ? "." : "; " + string.Join(", ", metrics.Select(m => $"{m.Key}={m.Value:F4}"))));
        var settings = new TextGenerationModelSettings(o.PromptColumnName, o.OutputColumnName, o.Generation, format, model.LoraOptions, maxLength);
        return new TextGenerationTransformer(context, model, settings, history);
    }

    /// <summary>
    /// The generation model without training and without reading any data: <see cref="TextGenerationFineTuneOptions.BaseModelFolder"/>'s
    /// weights with <see cref="TextGenerationFineTuneOptions.AdapterFolder"/>'s LoRA adapter when one is given (a new
    /// LoRA adapter is not added: it would change nothing), or a <see cref="TextGenerationFineTuneOptions.Scratch"/>
    /// model's random weights. Prompts are rendered, and the model saved and loaded, exactly as after <see cref="Fit"/>.
    /// </summary>
    public TextGenerationTransformer CreateWithoutTraining()
    {
        TorchRuntime.EnsureLoaded();
        var package = CreatePackage(Options);
        var peft = Options.AdapterFolder is not null ? ResolvePeft(Options, package.Config.ModelType) : new PeftOptions { Method = PeftMethod.Full };
        var (maxLength, format) = Layout(package);
        var model = CreateModel(package, peft, EffectiveTraining.Seed);
        var settings = new TextGenerationModelSettings(Options.PromptColumnName, Options.OutputColumnName, Options.Generation, format, model.LoraOptions, maxLength);
        return new TextGenerationTransformer(context, model, settings, new TrainingHistory());
    }

    TrainingOptions EffectiveTraining => Options.Training ?? (Options.Scratch is not null ? TextGenerationFineTuneOptions.DefaultScratchTraining : TextGenerationFineTuneOptions.DefaultTraining);

    /// <summary>The longest sequence (the options', within the model's positions) and how prompts are rendered.</summary>
    (int MaxLength, PromptFormat Format) Layout(DecoderPackage package)
    {
        var o = Options;
        int maxLength = o.MaxSequenceLength is { } asked ? Math.Min(asked, package.Config.MaxPositionEmbeddings) : Math.Min(1024, package.Config.MaxPositionEmbeddings);
        return (maxLength, new PromptFormat(o.MessagesColumnName is null ? PromptFormatKind.PromptCompletion : PromptFormatKind.Chat, TextGenerationEncoding.ResolveTemplate(o.ChatTemplate, package)));
    }

    TextGenerationModel CreateModel(DecoderPackage package, PeftOptions peft, int seed)
    {
        using var rng = new TorchRandomStream(seed);
        return TextGenerationModel.Create(package, peft, Options.AdapterFolder, rng);
    }

    static DecoderPackage CreatePackage(TextGenerationFineTuneOptions o)
    {
        if (o.BaseModelFolder is { } folder) return DecoderPackage.FromCheckpoint(folder);
        var scratch = o.Scratch!;
        IReadOnlyDictionary<string, byte[]> files = scratch.TokenizerFolder is { } tokenizerFolder
            ? Directory.EnumerateFiles(tokenizerFolder).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal) && Path.GetFileName(f) != "config.json")
                .ToDictionary(f => Path.GetFileName(f)!, f => Persistence.UserFile.ReadAllBytes(f, "tokenizer file"))
            : ByteLevelTokenizerFiles.Create(scratch.MaxPositions);
        var tokenizer = Tokenization.TransformerTokenizer.FromFiles(files, "Scratch.TokenizerFolder");
        var eos = tokenizer.EosTokenId;
        if (eos is null)
            throw new InvalidDataException("TextGenerationFineTuneOptions.Scratch.TokenizerFolder: the tokenizer has no eos_token; a generation model needs one to learn where a completion ends.");
        return DecoderPackage.FromScratch(TextGenerationFineTuneOptionsValidation.ToConfig(scratch, tokenizer.VocabSize, eos), files);
    }

    /// <summary>The rows as examples; errors name the data set, the row and the column.</summary>
    List<GenerativeExample> ReadExamples(IDataView data, string dataSet)
    {
        if (Options.MessagesColumnName is { } messages)
        {
            var texts = DataViewColumns.ReadText(data, messages);
            return texts.Select((t, i) => TextGenerationEncoding.ParseMessages(t, $"{dataSet}, row index {i}", messages)).ToList();
        }
        var prompts = DataViewColumns.ReadText(data, Options.PromptColumnName);
        var completions = DataViewColumns.ReadText(data, Options.CompletionColumnName);
        var result = new List<GenerativeExample>(prompts.Count);
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i] is null || completions[i] is null)
                throw new InvalidDataException($"{dataSet}, row index {i}: the {(prompts[i] is null ? $"prompt ('{Options.PromptColumnName}')" : $"completion ('{Options.CompletionColumnName}')")} is missing.");
            result.Add(GenerativeExample.PromptCompletion(prompts[i], completions[i], $"{dataSet}, row index {i}"));
        }
        return result;
    }

    static (List<GenerativeExample>, List<GenerativeExample>) Split(List<GenerativeExample> examples, double fraction, int seed)
    {
        var order = Enumerable.Range(0, examples.Count).ToArray();
        new Random(seed).Shuffle(order);
        int held = Math.Max(1, (int)Math.Round(examples.Count * fraction));
        if (held >= examples.Count)
            throw new ArgumentOutOfRangeException(nameof(TextGenerationFineTuneOptions.ValidationFraction), fraction,
                $"ValidationFraction {fraction} holds out {held} of the {examples.Count} training rows, leaving none to train on; lower it, give more rows, or pass a ValidationSet.");
        var heldOut = order.Take(held).ToHashSet();
        return (examples.Where((_, i) => !heldOut.Contains(i)).ToList(), examples.Where((_, i) => heldOut.Contains(i)).ToList());
    }
}
