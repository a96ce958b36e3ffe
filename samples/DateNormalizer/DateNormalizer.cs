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

    /// <summary>Trains on <paramref name="rows"/>; <paramref name="training"/> null: 3 epochs at batch 32, learning rate 2e-3, cosine schedule.</summary>
    public static TextGenerationTransformer Train(MLContext ml, IReadOnlyList<DateRow> rows, TrainingOptions? training = null, ScratchDecoderOptions? model = null)
    {
        var options = new TextGenerationFineTuneOptions
        {
            Scratch = model ?? Model,
            // The generated date goes to its own column, so that the reference completion stays readable beside it.
            OutputColumnName = "Generated",
            Training = training ?? new TrainingOptions
            {
                LearningRate = 2e-3, BatchSize = 32, Epochs = 3, WarmupRatio = 0.05, Schedule = LearningRateScheduleKind.Cosine, WeightDecay = 0.01, LoggingSteps = 100,
            },
            Generation = new TextGenerationSettings { MaxNewTokens = 12, BatchSize = 64 },
        };
        return ml.Transforms.FineTuneTextGeneration(options).Fit(ml.Data.LoadFromEnumerable(rows));
    }

    /// <summary>The same model before any training: one optimizer step at learning rate 0 leaves the random weights as they are.</summary>
    public static TextGenerationTransformer Untrained(MLContext ml, IReadOnlyList<DateRow> rows, ScratchDecoderOptions? model = null) =>
        Train(ml, rows.Take(32).ToList(), new TrainingOptions { LearningRate = 0, MaxSteps = 1, BatchSize = 32 }, model);

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
