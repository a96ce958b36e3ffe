using System.Globalization;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Built-in model sizes and training settings of a from-scratch FineTune run, read from the command line
/// (--hidden --layers --heads --ffn --maxlen --epochs --lr --sampling mixed|proportional|roundrobin); every run of one process that shares them is comparable.
/// </summary>
public sealed record FineTuneSettings(BuiltInModelOptions BuiltInModel, TrainingOptions Training, int MaxSequenceLength)
{
    /// <summary>Defaults: the built-in model's own sizes (128 hidden, 2 layers, 2 heads, FFN 512), its training defaults, 3 epochs.</summary>
    public static FineTuneSettings Parse(string[] args, int defaultMaxLength)
    {
        var builtIn = new BuiltInModelOptions
        {
            HiddenSize = Flag(args, "--hidden", 128), Layers = Flag(args, "--layers", 2),
            AttentionHeads = Flag(args, "--heads", 2), IntermediateSize = Flag(args, "--ffn", 512),
        };
        var training = FineTuneDefaults.ForBuiltInModel with
        {
            Epochs = Flag(args, "--epochs", 3),
            LearningRate = FlagDouble(args, "--lr", FineTuneDefaults.ForBuiltInModel.LearningRate),
            LoggingSteps = 1_000_000,
            TaskSampling = Enum.Parse<TaskSampling>(FlagString(args, "--sampling", nameof(TaskSampling.Mixed)), ignoreCase: true),
        };
        return new FineTuneSettings(builtIn, training, Flag(args, "--maxlen", defaultMaxLength));
    }

    /// <summary>FineTune options training <paramref name="heads"/> over one built-in encoder with these settings.</summary>
    public FineTuneOptions Options(params ITaskHead[] heads) =>
        new() { BuiltInModel = BuiltInModel, Training = Training, MaxSequenceLength = MaxSequenceLength, Heads = heads };

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
        ["task_sampling"] = Training.TaskSampling.ToString(),
    };

    internal static int Flag(string[] args, string flag, int fallback)
    {
        int i = Array.IndexOf(args, flag);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    static string FlagString(string[] args, string flag, string fallback)
    {
        int i = Array.IndexOf(args, flag);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    static double FlagDouble(string[] args, string flag, double fallback)
    {
        int i = Array.IndexOf(args, flag);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
