using System.Diagnostics;
using Microsoft.ML;
using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Cli.Reports;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// <c>train --task completions</c>: supervised fine-tuning of a decoder through <c>mlContext.Transforms.FineTuneTextGeneration</c>
/// — a GPT-2 / Llama / Qwen2 / Mistral checkpoint folder (LoRA by default, as the estimator does) or <c>builtin</c>, a small
/// GPT-2 trained from scratch with a byte-level tokenizer (the estimator's <see cref="ScratchDecoderOptions"/> defaults).
/// Validation loss and perplexity come from the estimator's evaluations; checkpoints and resume are the trainer's.
/// </summary>
internal static class CompletionTrainRun
{
    public static TrainOutcome Execute(TrainConfig config, CompletionData train, CompletionData? validation, bool resume, bool json, Interruption interruption)
    {
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(seed: config.Seed);
        var options = BuildOptions(config, train, validation is null ? null : validation.ToDataView(ml), resume) with { CancellationToken = interruption.Token };
        var trainView = train.ToDataView(ml);
        TextGenerationTransformer model;
        try
        {
            model = TrainingProgress.Run(json, interruption, progress => ml.Transforms.FineTuneTextGeneration(options with { Progress = progress }).Fit(trainView));
        }
        catch (InvalidDataException e) { throw new UserError(e.Message); } // an example too long, or with nothing to train on: names its line
        string checkpoints = Path.Combine(config.Output, TrainRun.CheckpointFolder);
        var metrics = model.History.Evaluations.Count > 0 ? model.History.Evaluations[^1].Metrics : new Dictionary<string, double>();
        if (model.History.StopReason == StopReason.Cancelled)
            return new TrainOutcome(true, config.Output, model.History, metrics, [], Checkpoints.FindLatest(checkpoints), clock.Elapsed.TotalSeconds, train.Count, validation?.Count ?? 0);

        var files = new List<string> { TrainConfig.FileName };
        ml.Model.SaveAtomic(model, PromptSchema(ml), Path.Combine(config.Output, TrainRun.ModelFile));
        files.Add(TrainRun.ModelFile);
        MetricsCsv.Write(Path.Combine(config.Output, MetricsCsv.FileName), model.History);
        files.Add(MetricsCsv.FileName);
        Plots.Loss(Path.Combine(config.Output, Plots.LossFile), model.History);
        files.Add(Plots.LossFile);
        File.WriteAllText(Path.Combine(config.Output, ModelCardMarkdown.FileName), ModelCardMarkdown.RenderRun(config, train.Count, model.History, metrics,
            $"mlnet-finetune train --config {Path.Combine(config.Output, TrainConfig.FileName)}"));
        files.Add(ModelCardMarkdown.FileName);
        if (PeftChoice.Parse(config.Peft) == PeftMethod.Lora)
        {
            model.SaveLoraAdapter(Path.Combine(config.Output, TrainRun.AdapterFolder));
            files.Add(TrainRun.AdapterFolder);
        }
        if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        return new TrainOutcome(false, config.Output, model.History, metrics, files, null, clock.Elapsed.TotalSeconds, train.Count, validation?.Count ?? 0);
    }

    static TextGenerationFineTuneOptions BuildOptions(TrainConfig config, CompletionData train, IDataView? validation, bool resume)
    {
        bool builtIn = ModelReference.IsBuiltIn(config.Model);
        var training = AutoHyperparameters.CompletionDefaults(builtIn) with
        {
            Epochs = config.Epochs, BatchSize = config.BatchSize, LearningRate = config.LearningRate, Seed = config.Seed,
            WarmupRatio = config.WarmupRatio, WeightDecay = config.WeightDecay,
            CheckpointFolder = Path.Combine(config.Output, TrainRun.CheckpointFolder), CheckpointEverySteps = config.CheckpointEvery,
            ResumeFromLatestCheckpoint = resume, KeepLastCheckpoints = 1, LoggingSteps = int.MaxValue,
        };
        var method = PeftChoice.Parse(config.Peft);
        // LoRA as the estimator's default (alpha = 2 x rank, every attention and MLP projection), at the configured rank.
        var peft = method == PeftMethod.Full ? new PeftOptions { Method = PeftMethod.Full } : new PeftOptions
        {
            Method = PeftMethod.Lora,
            Lora = new LoraOptions { Rank = config.LoraRank, Alpha = 2 * config.LoraRank, TargetModules = TextGenerationFineTuneEstimator.AttentionAndMlp(builtIn ? "gpt2" : ModelType(config.Model)) },
        };
        return new TextGenerationFineTuneOptions
        {
            BaseModelFolder = builtIn ? null : config.Model,
            Scratch = builtIn ? new ScratchDecoderOptions() : null,
            MessagesColumnName = train.IsChat ? CompletionData.MessagesColumn : null,
            ChatTemplate = config.ChatTemplate,
            Loss = CompletionLossChoice.Parse(config.Loss ?? "completion"),
            Packing = config.Packing == true,
            MaxSequenceLength = config.MaxLength,
            Peft = peft,
            Training = training,
            ValidationSet = validation,
            ValidationFraction = validation is null ? config.ValidationFraction : 0,
            Generation = new TextGenerationSettings { MaxNewTokens = config.MaxNewTokens ?? new TextGenerationSettings().MaxNewTokens },
        };
    }

    /// <summary>The checkpoint's <c>model_type</c>; an encoder or an unsupported decoder is refused with the library's message.</summary>
    public static string ModelType(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new UserError($"--model '{folder}': no config.json there; a decoder checkpoint folder holds config.json, the tokenizer files and *.safetensors.");
        try { return DecoderConfig.Load(path).ModelType; }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or FormatException)
        {
            throw new UserError($"--model '{folder}': {e.Message}");
        }
    }

    sealed class PromptRow { public string Prompt { get; set; } = ""; }

    /// <summary>The input schema a generation model is saved with: one prompt column.</summary>
    static DataViewSchema PromptSchema(MLContext ml) => ml.Data.LoadFromEnumerable(Array.Empty<PromptRow>()).Schema;
}
