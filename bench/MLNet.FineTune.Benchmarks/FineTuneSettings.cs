using MLNet.FineTune.Modeling;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Pretrained;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// The base model and training settings of a FineTune run, read from the command line: --model builtin|minilm|arctic
/// (default builtin: the small model from scratch, sized by --hidden --layers --heads --ffn), --method full|lora|...
/// (PeftMethod), --freeze-word-embeddings, --maxlen --epochs --lr --batch --warmup --wd --seed --sampling mixed|proportional|roundrobin;
/// every run of one process that shares them is comparable.
/// </summary>
public sealed record FineTuneSettings(BuiltInModelOptions BuiltInModel, TrainingOptions Training, int MaxSequenceLength,
    PretrainedModel? Pretrained = null, PeftMethod Method = PeftMethod.Full, double? Dropout = null, bool FreezeWordEmbeddings = false)
{
    /// <summary>Defaults: the built-in model's own sizes (128 hidden, 2 layers, 2 heads, FFN 512), its training defaults, 3 epochs.</summary>
    public static FineTuneSettings Parse(string[] args, int defaultMaxLength)
    {
        var builtIn = new BuiltInModelOptions
        {
            HiddenSize = Flags.Int(args, "--hidden", 128), Layers = Flags.Int(args, "--layers", 2),
            AttentionHeads = Flags.Int(args, "--heads", 2), IntermediateSize = Flags.Int(args, "--ffn", 512),
        };
        PretrainedModel? pretrained = Flags.String(args, "--model", "builtin") switch
        {
            "builtin" => null, "minilm" => PretrainedModels.AllMiniLmL6V2, "arctic" => PretrainedModels.ArcticEmbedXs,
            var other => throw new ArgumentException($"--model {other}: expected builtin, minilm or arctic."),
        };
        var defaults = pretrained is null ? FineTuneDefaults.ForBuiltInModel : FineTuneDefaults.ForCheckpoint;
        var training = defaults with
        {
            Epochs = Flags.Int(args, "--epochs", pretrained is null ? 3 : defaults.Epochs),
            LearningRate = Flags.Double(args, "--lr", defaults.LearningRate),
            BatchSize = Flags.Int(args, "--batch", defaults.BatchSize),
            WarmupRatio = Flags.Double(args, "--warmup", defaults.WarmupRatio),
            WeightDecay = Flags.Double(args, "--wd", defaults.WeightDecay),
            LoggingSteps = 1_000_000,
            MaxSteps = Flags.Int(args, "--max-steps", 0),
            Seed = Flags.Int(args, "--seed", defaults.Seed),
            TaskSampling = Enum.Parse<TaskSampling>(Flags.String(args, "--sampling", nameof(TaskSampling.Mixed)), ignoreCase: true),
        };
        var method = Enum.Parse<PeftMethod>(Flags.String(args, "--method", nameof(PeftMethod.Full)), ignoreCase: true);
        double dropout = Flags.Double(args, "--dropout", -1);
        return new FineTuneSettings(builtIn, training, Flags.Int(args, "--maxlen", defaultMaxLength), pretrained, method, dropout >= 0 ? dropout : null,
            Flags.Bool(args, "--freeze-word-embeddings"));
    }

    /// <summary>FineTune options training <paramref name="heads"/> (none: the default head on "Label") over one built-in encoder.</summary>
    public FineTuneOptions Options(params ITaskHead[] heads) => new()
    {
        BaseModel = Pretrained, BuiltInModel = BuiltInModel, Training = Training, MaxSequenceLength = MaxSequenceLength,
        Heads = heads.Length == 0 ? null : heads, Peft = new PeftOptions { Method = Method, FreezeWordEmbeddings = FreezeWordEmbeddings }, Dropout = Dropout,
    };

    /// <summary>The settings as they go into a result line.</summary>
    public Dictionary<string, object> Describe() => new()
    {
        ["base_model"] = Pretrained?.HubId ?? "builtin (from scratch)",
        ["built_in_model"] = Pretrained is null ? BuiltInModel : "-",
        ["peft"] = Method.ToString() + (FreezeWordEmbeddings ? " (word embeddings frozen)" : ""),
        ["max_seq_len"] = MaxSequenceLength,
        ["epochs"] = Training.Epochs,
        ["lr"] = Training.LearningRate,
        ["batch"] = Training.BatchSize,
        ["warmup_ratio"] = Training.WarmupRatio,
        ["weight_decay"] = Training.WeightDecay,
        ["seed"] = Training.Seed,
        ["dropout"] = Dropout?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "checkpoint's",
        ["task_sampling"] = Training.TaskSampling.ToString(),
    };
}
