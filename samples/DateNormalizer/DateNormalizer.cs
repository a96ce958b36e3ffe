using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Samples;

/// <summary>
/// The DateNormalizer sample's pipeline (the test suite runs a short version): a small GPT-2-shaped decoder trained
/// from scratch — random weights, a byte-level tokenizer built in memory, nothing downloaded — to rewrite free-form
/// dates as ISO 8601 (<see cref="SyntheticDates"/>), then asked for the held-out prompts with greedy decoding.
/// </summary>
public static class DateNormalizer
{
    /// <summary>The model: 4 layers, hidden 128, 4 heads, 64 positions (a prompt and its date are at most ~55 bytes).</summary>
    public static ScratchDecoderOptions Model { get; } = new() { ModelType = "gpt2", HiddenSize = 128, NumLayers = 4, NumHeads = 4, MaxPositions = 64 };

    /// <summary>
    /// The training recipe: full training (no LoRA, no dropout), AdamW at 3e-3 with 5% warmup and cosine decay, batches
    /// of 128 rows, 800 steps (about 100,000 examples: 5 passes over the sample's 20,000 rows). A tiny model tolerates a
    /// high learning rate, and copying digits from the prompt forms only after thousands of examples (docs/generation-demo.md).
    /// Not yet measured on the full twelve-form task.
    /// </summary>
    public static TrainingOptions Recipe { get; } = new()
    {
        LearningRate = 3e-3, BatchSize = 128, MaxSteps = 800, WarmupRatio = 0.05, Schedule = LearningRateScheduleKind.Cosine, WeightDecay = 0.01, LoggingSteps = 50,
    };

    /// <summary>Trains on <paramref name="rows"/>; <paramref name="training"/> null: <see cref="Recipe"/>.</summary>
    public static TextGenerationTransformer Train(MLContext ml, IReadOnlyList<DateRow> rows, TrainingOptions? training = null, ScratchDecoderOptions? model = null) =>
        ml.Transforms.FineTuneTextGeneration(Options(model, training ?? Recipe)).Fit(ml.Data.LoadFromEnumerable(rows));

    /// <summary>The same model before any training (its random initial weights, seeded as <see cref="Train"/> seeds them).</summary>
    public static TextGenerationTransformer Untrained(MLContext ml, TrainingOptions? training = null, ScratchDecoderOptions? model = null) =>
        new TextGenerationFineTuneEstimator(ml, Options(model, training ?? Recipe)).CreateWithoutTraining();

    static TextGenerationFineTuneOptions Options(ScratchDecoderOptions? model, TrainingOptions training) => new()
    {
        Scratch = model ?? Model,
        // The generated date goes to its own column, so that the reference completion stays readable beside it.
        OutputColumnName = "Generated",
        Training = training,
        Generation = new TextGenerationSettings { MaxNewTokens = 12, BatchSize = 64 },
    };

    /// <summary>Greedy completions of <paramref name="rows"/>' prompts, through the ML.NET pipeline (Transform on an IDataView).</summary>
    public static string[] Complete(MLContext ml, TextGenerationTransformer model, IReadOnlyList<DateRow> rows)
    {
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        return scored.GetColumn<string>(model.OutputColumnName).ToArray();
    }

    /// <summary>Held-out rows: drawn with another seed, without any prompt that the training rows contain.</summary>
    public static List<DateRow> HeldOut(IReadOnlyList<DateRow> training, int count, int seed, int forms = SyntheticDates.Forms, IReadOnlyList<int>? onlyForms = null)
    {
        var seen = training.Select(r => r.Prompt).ToHashSet();
        return SyntheticDates.Generate(count * 2, seed, forms, onlyForms).Where(r => seen.Add(r.Prompt)).Take(count).ToList();
    }
}
