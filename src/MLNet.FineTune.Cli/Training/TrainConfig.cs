using MLNet.FineTune.Cli.DataFiles;
using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Peft;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// A training run's settings with every <c>auto</c> resolved: what <c>train</c> writes to <c>&lt;output&gt;/config.json</c>, so
/// that <c>train --config &lt;output&gt;/config.json</c> runs the same training again (and <c>train --resume</c> continues it).
/// </summary>
internal sealed record TrainConfig
{
    [JsonPropertyName("data")] public required string Data { get; init; }
    [JsonPropertyName("validation")] public string? Validation { get; init; }
    [JsonPropertyName("validation_fraction")] public double ValidationFraction { get; init; }
    [JsonPropertyName("task")] public required string Task { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("peft")] public required string Peft { get; init; }
    [JsonPropertyName("epochs")] public int Epochs { get; init; }
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; }
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; }
    [JsonPropertyName("warmup_ratio")] public double WarmupRatio { get; init; }
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; }
    [JsonPropertyName("max_length")] public int? MaxLength { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("lora_rank")] public int LoraRank { get; init; }
    [JsonPropertyName("text_column")] public required string TextColumn { get; init; }
    [JsonPropertyName("pair_column")] public required string PairColumn { get; init; }
    [JsonPropertyName("label_column")] public required string LabelColumn { get; init; }
    [JsonPropertyName("checkpoint_every")] public int CheckpointEvery { get; init; }
    [JsonPropertyName("augment")] public string? Augment { get; init; }
    [JsonPropertyName("augment_copies")] public int AugmentCopies { get; init; }
    /// <summary>multi-task: the heads, <c>name:kind</c> comma-separated (the name is also the label key or column).</summary>
    [JsonPropertyName("heads")] public string? Heads { get; init; }
    /// <summary>multi-task: mixed, proportional or round-robin.</summary>
    [JsonPropertyName("task_sampling")] public string? TaskSampling { get; init; }
    /// <summary>multi-task with lora, adapters or houlsby: one adapter per head over a shared frozen base.</summary>
    [JsonPropertyName("adapter_per_task")] public bool? AdapterPerTask { get; init; }
    /// <summary>full fine-tuning of an encoder: the word-embedding table stays frozen (PeftOptions.FreezeWordEmbeddings).</summary>
    [JsonPropertyName("freeze_word_embeddings")] public bool? FreezeWordEmbeddings { get; init; }
    /// <summary>setfit and embeddings: the contrastive loss (mnrl, cosent, contrastive, cosine).</summary>
    [JsonPropertyName("loss")] public string? Loss { get; init; }
    /// <summary>setfit: pairs per example and iteration (SetFit's num_iterations).</summary>
    [JsonPropertyName("setfit_iterations")] public int? SetFitIterations { get; init; }
    /// <summary>setfit: logistic (LogisticRegression on the embeddings) or differentiable (SetFitHead).</summary>
    [JsonPropertyName("setfit_head")] public string? SetFitHead { get; init; }
    /// <summary>completions: how chats are rendered (chatml, qwen2, llama3, or a Jinja file's text); null: the checkpoint's own, else ChatML.</summary>
    [JsonPropertyName("chat_template")] public string? ChatTemplate { get; init; }
    /// <summary>completions: pack several short examples into each training row.</summary>
    [JsonPropertyName("packing")] public bool? Packing { get; init; }
    /// <summary>completions: most tokens the saved model generates per prompt (predict and evaluate may override it).</summary>
    [JsonPropertyName("max_new_tokens")] public int? MaxNewTokens { get; init; }
    [JsonPropertyName("output")] public required string Output { get; init; }
    /// <summary>Which values <c>auto</c> chose and by what rule; informative, ignored when the file is read back.</summary>
    [JsonPropertyName("auto")] public Dictionary<string, string>? Auto { get; init; }

    [JsonIgnore] public DataColumns Columns => new(TextColumn, PairColumn, LabelColumn);

    public const string FileName = "config.json";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Writes config.json through a temp file and a rename: a run never leaves half a config to resume from.</summary>
    public void Save(string folder)
    {
        string path = Path.Combine(folder, FileName), temp = path + ".tmp";
        File.WriteAllText(temp, ToJson());
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>
/// Builds a <see cref="TrainConfig"/> from a config file (<c>--config</c>, keys as in config.json) and flags (flags win), then
/// resolves <c>auto</c> by <see cref="AutoHyperparameters"/> once the training rows are known.
/// </summary>
internal sealed class TrainConfigValues
{
    static readonly string[] Keys =
    [
        "data", "validation", "validation_fraction", "task", "model", "peft", "epochs", "batch_size", "learning_rate", "warmup_ratio",
        "weight_decay", "max_length", "seed", "lora_rank", "text_column", "pair_column", "label_column", "checkpoint_every", "augment", "augment_copies", "heads", "task_sampling", "adapter_per_task", "freeze_word_embeddings", "loss", "setfit_iterations", "setfit_head", "chat_template", "packing", "max_new_tokens", "output", "auto",
    ];

    readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    /// <summary>Reads a config file: unknown keys and values of the wrong type are errors; relative paths are relative to the file.</summary>
    public static TrainConfigValues FromFile(string path)
    {
        if (!File.Exists(path)) throw new UserError($"--config '{path}' does not exist.");
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new UserError($"{path}: not valid JSON ({e.Message})."); }
        if (root is not JsonObject obj) throw new UserError($"{path}: expected a JSON object of settings.");
        var result = new TrainConfigValues();
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        foreach (var (key, node) in obj)
        {
            if (!Keys.Contains(key)) throw new UserError($"{path}: unknown setting '{key}' (known: {string.Join(", ", Keys.Where(k => k != "auto"))}).");
            if (key == "auto" || node is null) continue;
            if (node is not JsonValue value) throw new UserError($"{path}: setting '{key}' must be a string or a number.");
            string text = value.TryGetValue<string>(out var s) ? s : value.ToJsonString();
            if (key is "data" or "validation" or "output" || key == "model" && (text.Contains('/') || text.Contains('\\')))
                text = Path.GetFullPath(text, folder);
            result.values[key] = text;
        }
        return result;
    }

    /// <summary>A flag's value; null (not given) keeps the file's.</summary>
    public TrainConfigValues Set(string key, object? value)
    {
        if (value is not null) values[key] = Convert.ToString(value, CultureInfo.InvariantCulture)!;
        return this;
    }

    public string? Get(string key) => values.GetValueOrDefault(key);

    public string Require(string key, string flag) => Get(key) ?? throw new UserError($"{flag} is required (or give it in --config).");

    /// <summary>Every value typed and checked, <c>auto</c> resolved from <paramref name="trainingRows"/>.</summary>
    public TrainConfig Resolve(int trainingRows)
    {
        var task = CliTasks.Parse(Get("task") ?? "classification");
        bool embedding = CliTasks.IsEmbeddingTask(task), completions = task == CliTask.Completions;
        string model = Model(task);
        bool builtIn = ModelReference.IsBuiltIn(model);
        string peftName = Get("peft") ?? (completions && !builtIn ? "lora" : "full");
        var peft = PeftChoice.Parse(peftName);
        if (completions && peft is not (PeftMethod.Full or PeftMethod.Lora))
            throw new UserError($"--peft '{peftName}': --task completions trains decoders with full or lora (the default for a checkpoint folder).");
        var defaults = embedding ? EmbeddingFineTuneOptions.DefaultTraining : completions ? AutoHyperparameters.CompletionDefaults(builtIn) : ModelReference.Defaults(model);
        var auto = new Dictionary<string, string>();
        int epochs = Auto("epochs", "--epochs", () => embedding ? AutoHyperparameters.EmbeddingEpochs : completions ? defaults.Epochs : AutoHyperparameters.Epochs(trainingRows), 1, 10_000, auto);
        int batch = Auto("batch_size", "--batch-size", () => embedding ? AutoHyperparameters.EmbeddingBatchSize : completions ? Math.Min(defaults.BatchSize, Math.Max(1, trainingRows)) : AutoHyperparameters.BatchSize(trainingRows), 1, 4_096, auto);
        double rate = AutoDouble("learning_rate", "--learning-rate", () => embedding ? AutoHyperparameters.EmbeddingLearningRate(peft)
            : completions ? AutoHyperparameters.CompletionLearningRate(builtIn, peft) : AutoHyperparameters.LearningRate(builtIn, peft), auto);
        if (auto.Count > 0) auto["rule"] = AutoHyperparameters.Rule;
        if (task != CliTask.MultiTask && (Get("heads") ?? Get("task_sampling") ?? Get("adapter_per_task")) is not null)
            throw new UserError("--heads, --task-sampling and --adapter-per-task are multi-task settings; give --task multi-task.");
        bool freezeWords = Get("freeze_word_embeddings") is not null && Boolean("freeze_word_embeddings", "--freeze-word-embeddings");
        if (freezeWords && (embedding || completions || peft != PeftMethod.Full))
            throw new UserError($"--freeze-word-embeddings is for --peft full on an encoder task (classification, regression, pairs, ner, multi-task); got --task {CliTasks.Name(task)} --peft {peftName}.");
        if (!embedding && !completions && Get("loss") is not null)
            throw new UserError("--loss is a setfit, embeddings (the contrastive loss) and completions (which tokens are trained) setting; give --task setfit, embeddings or completions.");
        if (!completions && (Get("chat_template") ?? Get("packing") ?? Get("max_new_tokens")) is not null)
            throw new UserError("--chat-template, --packing and --max-new-tokens are completions settings; give --task completions.");
        if (task != CliTask.SetFit && (Get("setfit_iterations") ?? Get("setfit_head")) is not null)
            throw new UserError("--setfit-iterations and --setfit-head are setfit settings; give --task setfit.");
        // config.json always records validation_fraction (0 when unused), so a resumed or reproduced run carries a 0.
        if (embedding && Get("validation_fraction") is not null && Number("validation_fraction", "--validation-fraction", 0, 0, 0.9) != 0)
            throw new UserError($"--validation-fraction is not available for --task {CliTasks.Name(task)}; give a --validation file (scored after training).");
        string output = Require("output", "--output");
        return new TrainConfig
        {
            Data = Path.GetFullPath(Require("data", "--data")),
            Validation = Get("validation") is { } v ? Path.GetFullPath(v) : null,
            ValidationFraction = Number("validation_fraction", "--validation-fraction", 0, 0, 0.9),
            Task = CliTasks.Name(task),
            Model = Directory.Exists(model) || File.Exists(model) ? Path.GetFullPath(model) : model,
            Peft = peftName,
            Epochs = epochs, BatchSize = batch, LearningRate = rate,
            WarmupRatio = Number("warmup_ratio", "--warmup-ratio", defaults.WarmupRatio, 0, 1),
            WeightDecay = Number("weight_decay", "--weight-decay", defaults.WeightDecay, 0, 10),
            MaxLength = Get("max_length") is null ? null : Integer("max_length", "--max-length", 0, 8, 100_000),
            Seed = Integer("seed", "--seed", 42, int.MinValue, int.MaxValue),
            LoraRank = Integer("lora_rank", "--lora-rank", completions ? 16 : 8, 1, 4_096),
            TextColumn = Get("text_column") ?? "text", PairColumn = Get("pair_column") ?? "text_pair", LabelColumn = Get("label_column") ?? "label",
            CheckpointEvery = Integer("checkpoint_every", "--checkpoint-every", 0, 0, int.MaxValue),
            Augment = Get("augment") is { } a && a != "none" ? string.Join(",", TextAugmenter.ParseEdits(a).Select(e => e.ToString().ToLowerInvariant())) : null,
            AugmentCopies = Integer("augment_copies", "--augment-copies", 1, 1, 100),
            Heads = task == CliTask.MultiTask ? HeadSpec.Format(HeadSpec.Parse(Require("heads", "--heads"))) : null,
            TaskSampling = task == CliTask.MultiTask ? TaskSamplingChoice.Name(TaskSamplingChoice.Parse(Get("task_sampling") ?? "mixed")) : null,
            AdapterPerTask = task == CliTask.MultiTask ? Boolean("adapter_per_task", "--adapter-per-task") : null,
            FreezeWordEmbeddings = freezeWords ? true : null,
            Loss = embedding ? ContrastiveLossChoice.Name(ContrastiveLossChoice.Parse(Get("loss") ?? (task == CliTask.SetFit ? "cosine" : "mnrl")))
                : completions ? CompletionLossChoice.Name(CompletionLossChoice.Parse(Get("loss") ?? "completion")) : null,
            ChatTemplate = completions ? Get("chat_template") : null,
            Packing = completions ? Boolean("packing", "--packing") : null,
            MaxNewTokens = completions ? Integer("max_new_tokens", "--max-new-tokens", new TextGenerationSettings().MaxNewTokens, 1, 100_000) : null,
            SetFitIterations = task == CliTask.SetFit ? Integer("setfit_iterations", "--setfit-iterations", 20, 1, 10_000) : null,
            SetFitHead = task == CliTask.SetFit ? SetFitHeadChoice(Get("setfit_head") ?? "logistic") : null,
            Output = Path.GetFullPath(output),
            Auto = auto.Count > 0 ? auto : null,
        };
    }

    /// <summary>The model: minilm by default for the sentence-embedding tasks (they need a pretrained encoder), builtin otherwise.</summary>
    public string Model(CliTask task)
    {
        string model = Get("model") ?? (CliTasks.IsEmbeddingTask(task) ? "minilm" : "builtin");
        if (CliTasks.IsEmbeddingTask(task) && ModelReference.IsBuiltIn(model))
            throw new UserError($"--task {CliTasks.Name(task)} fine-tunes a pretrained sentence-embedding model; --model builtin has no pretraining. Use minilm, arctic-xs or a model folder.");
        if (task == CliTask.Completions && !ModelReference.IsBuiltIn(model) && !Directory.Exists(model))
            throw new UserError($"--model '{model}': --task completions trains a decoder: a GPT-2, Llama, Qwen2 or Mistral checkpoint folder, or builtin (a small GPT-2 trained from scratch); " +
                "minilm, arctic-xs and .onnx files are encoders.");
        return model;
    }

    static string SetFitHeadChoice(string value) => value.Trim().ToLowerInvariant() switch
    {
        "logistic" or "logistic-regression" => "logistic",
        "differentiable" => "differentiable",
        _ => throw new UserError($"--setfit-head '{value}' is not a head; use logistic or differentiable."),
    };

    bool Boolean(string key, string flag) => Get(key) switch
    {
        null or "false" or "False" => false,
        "true" or "True" => true,
        var other => throw new UserError($"{flag} is true or false; got '{other}'."),
    };

    int Auto(string key, string flag, Func<int> rule, int min, int max, Dictionary<string, string> auto)
    {
        if (Get(key) is null or "auto") { int v = rule(); auto[key] = v.ToString(CultureInfo.InvariantCulture); return v; }
        return Integer(key, flag, 0, min, max);
    }

    double AutoDouble(string key, string flag, Func<double> rule, Dictionary<string, string> auto)
    {
        if (Get(key) is null or "auto") { double v = rule(); auto[key] = v.ToString("G", CultureInfo.InvariantCulture); return v; }
        double rate = Number(key, flag, 0, 0, 10);
        return rate > 0 ? rate : throw new UserError($"{flag} must be a number > 0 or auto; got '{Get(key)}'.");
    }

    int Integer(string key, string flag, int fallback, int min, int max)
    {
        var text = Get(key);
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max ? v
            : throw new UserError($"{flag} must be a whole number from {min} to {max}{(key is "epochs" or "batch_size" ? " or auto" : "")}; got '{text}'.");
    }

    double Number(string key, string flag, double fallback, double min, double max)
    {
        var text = Get(key);
        if (text is null) return fallback;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v >= min && v <= max ? v
            : throw new UserError($"{flag} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}{(key == "learning_rate" ? " or auto" : "")}; got '{text}'.");
    }
}
