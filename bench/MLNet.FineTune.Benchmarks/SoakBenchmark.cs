using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using MLNet.FineTune.Data;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Production soak: a reloaded FineTune model (built-in default size) scores N single sentences on 4 threads through
/// ThreadSafePredictor; RSS is sampled every N/10 predictions to show whether native memory grows.
/// </summary>
public static class SoakBenchmark
{
    public sealed class Input { public string Text { get; set; } = ""; }
    public sealed class Output { public bool PredictedLabel { get; set; } public float Probability { get; set; } }

    public static string Run(int predictions)
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(512, seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.FineTune(new FineTuneOptions
        {
            MaxSequenceLength = 64, Training = FineTuneDefaults.ForBuiltInModel with { Epochs = 1, LoggingSteps = 1000 },
        }).Fit(data);
        var path = Path.Combine(Path.GetTempPath(), $"soak-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, data.Schema, path);
        using var predictor = ThreadSafePredictor<Input, Output>.Load(new MLContext(), path);
        File.Delete(path);
        var texts = rows.Select(r => r.Text).ToArray();
        var samples = new List<double>();
        int chunk = predictions / 10;
        var watch = Stopwatch.StartNew();
        for (int c = 0; c < 10; c++)
        {
            Parallel.For(0, chunk, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => predictor.Predict(new Input { Text = texts[(c * chunk + i) % texts.Length] }));
            NativeMemory.Trim();
            samples.Add(ProcessMemory.CurrentRssMb());
        }
        return JsonSerializer.Serialize(new
        {
            mode = "soak", predictions, threads = 4, engines = predictor.EnginesCreated, seconds = Math.Round(watch.Elapsed.TotalSeconds, 1),
            predictions_per_s = Math.Round(predictions / watch.Elapsed.TotalSeconds), rss_mib_every_tenth = samples, peak_rss_mib = ProcessMemory.PeakRssMb(),
        });
    }
}
