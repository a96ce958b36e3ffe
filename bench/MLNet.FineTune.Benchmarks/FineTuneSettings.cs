using MLNet.FineTune.Modeling;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Built-in model sizes and training settings of a from-scratch FineTune run, read from the command line
/// (--hidden --layers --heads --ffn --maxlen --epochs --lr --seed --sampling mixed|proportional|roundrobin); every run of one process that shares them is comparable.
/// </summary>
public sealed record FineTuneSettings(BuiltInModelOptions BuiltInModel, TrainingOptions Training, int MaxSequenceLength)
{
    /// <summary>Defaults: the built-in model's own sizes (128 hidden, 2 layers, 2 heads, FFN 512), its training defaults, 3 epochs.</summary>
    public static FineTuneSettings Parse(string[] args, int defaultMaxLength)
    {
        var builtIn = new BuiltInModelOptions
        {
            HiddenSize = Flags.Int(args, "--hidden", 128), Layers = Flags.Int(args, "--layers", 2),
            AttentionHeads = Flags.Int(args, "--heads", 2), IntermediateSize = Flags.Int(args, "--ffn", 512),
        };
        var training = FineTuneDefaults.ForBuiltInModel with
        {
            Epochs = Flags.Int(args, "--epochs", 3),
            LearningRate = Flags.Double(args, "--lr", FineTuneDefaults.ForBuiltInModel.LearningRate),
            LoggingSteps = 1_000_000,
            Seed = Flags.Int(args, "--seed", FineTuneDefaults.ForBuiltInModel.Seed),
            TaskSampling = Enum.Parse<TaskSampling>(Flags.String(args, "--sampling", nameof(TaskSampling.Mixed)), ignoreCase: true),
        };
        return new FineTuneSettings(builtIn, training, Flags.Int(args, "--maxlen", defaultMaxLength));
    }

    /// <summary>FineTune options training <paramref name="heads"/> (none: the default head on "Label") over one built-in encoder.</summary>
    public FineTuneOptions Options(params ITaskHead[] heads) =>
        new() { BuiltInModel = BuiltInModel, Training = Training, MaxSequenceLength = MaxSequenceLength, Heads = heads.Length == 0 ? null : heads };

    /// <summary>The settings as they go into a result line.</summary>
    public Dictionary<string, object> Describe() => new()
    {
        ["built_in_model"] = BuiltInModel,
        ["max_seq_len"] = MaxSequenceLength,
        ["epochs"] = Training.Epochs,
        ["lr"] = Training.LearningRate,
        ["batch"] = Training.BatchSize,
        ["warmup_ratio"] = Training.WarmupRatio,
        ["weight_decay"] = Training.WeightDecay,
        ["seed"] = Training.Seed,
        ["task_sampling"] = Training.TaskSampling.ToString(),
    };
}
