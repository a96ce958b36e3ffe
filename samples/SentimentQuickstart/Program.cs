// The README's main job: fine-tune a sentiment classifier inside an ML.NET pipeline, evaluate it with ML.NET's
// evaluator, save it as one .zip, reload it in a fresh MLContext and score new sentences.
//
//   dotnet run -c Release --project samples/SentimentQuickstart                     (built-in model, embedded data)
//   dotnet run -c Release --project samples/SentimentQuickstart -- --base <folder>  (a Hugging Face checkpoint folder)
//   ... -- --train <tsv> --test <tsv>    (sentence<TAB>label files with a header row, e.g. GLUE SST-2)
using System.Diagnostics;
using Microsoft.ML;
using MLNet.FineTune;
using MLNet.FineTune.Data;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Training;

string? baseFolder = Arg("--base"), trainFile = Arg("--train"), testFile = Arg("--test");
int rows = int.Parse(Arg("--rows") ?? "3000");
var ml = new MLContext(seed: 1);
ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.StartsWith("FineTune")) Console.WriteLine($"  [log] {e.RawMessage}"); };

IDataView train, test;
if (trainFile != null && testFile != null)
{
    train = ml.Data.LoadFromTextFile<TsvRow>(trainFile, hasHeader: true, separatorChar: '\t', allowQuoting: false);
    train = ml.Data.TakeRows(ml.Data.ShuffleRows(train, seed: 1), rows);
    test = ml.Data.LoadFromTextFile<TsvRow>(testFile, hasHeader: true, separatorChar: '\t', allowQuoting: false);
    Console.WriteLine($"Data: {trainFile} ({rows} rows) / {testFile}");
}
else
{
    train = ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(rows, seed: 1));
    test = ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(600, seed: 2));
    Console.WriteLine($"Data: {rows} synthetic movie reviews written by MLNet.FineTune (SyntheticSentiment), 600 held out.");
}

// --- the pipeline a user writes ---
var options = new FineTuneOptions
{
    BaseModelFolder = baseFolder,                 // null: the built-in small model, trained from scratch
    TextColumnName = "Text", LabelColumnName = "Label",
    MaxSequenceLength = 64,
    Training = baseFolder is null ? FineTuneDefaults.ForBuiltInModel with { Epochs = 6 } : FineTuneDefaults.ForCheckpoint,
    Progress = new Progress<FineTuneProgress>(p =>
    {
        if (p.EvalMetrics is null && p.Step % 20 != 0 && p.Step != p.TotalSteps) return;
        Console.WriteLine($"  epoch {p.Epoch} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.LearningRate:E1} {p.ExamplesPerSecond:F0} ex/s ETA {p.EstimatedTimeRemaining:mm\\:ss}");
    }),
};
var watch = Stopwatch.StartNew();
var model = ml.Transforms.FineTune(options).Fit(train);
Console.WriteLine($"Trained in {watch.Elapsed.TotalSeconds:F1} s: {model.Card.Parameters}");

var metrics = ml.BinaryClassification.Evaluate(model.Transform(test));
Console.WriteLine($"Test accuracy {metrics.Accuracy:P1}, AUC {metrics.AreaUnderRocCurve:F3}, F1 {metrics.F1Score:F3}");

// --- save one .zip, reload in a fresh MLContext (as a production app would), score new sentences ---
var path = Path.GetFullPath("sentiment-model.zip");
ml.Model.SaveAtomic(model, train.Schema, path);
Console.WriteLine($"Saved {path} ({new FileInfo(path).Length / 1024} KiB)");
var production = new MLContext();
var loaded = production.Model.Load(path, out _);
var engine = production.Model.CreatePredictionEngine<SentimentRow, SentimentPrediction>(loaded);
foreach (var text in new[] { "The acting was truly wonderful.", "I thought the plot was not good at all.", "Honestly, the ending felt boring.", "The soundtrack was not bad." })
{
    var p = engine.Predict(new SentimentRow { Text = text });
    Console.WriteLine($"  {(p.PredictedLabel ? "positive" : "negative"),-8} {p.Probability:P0}  \"{text}\"");
}
var reloadedMetrics = production.BinaryClassification.Evaluate(loaded.Transform(test));
Console.WriteLine($"Reloaded model test accuracy {reloadedMetrics.Accuracy:P1} (same model, fresh MLContext)");

string? Arg(string name) { var i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }

sealed class SentimentPrediction { public bool PredictedLabel { get; set; } public float Probability { get; set; } public float Score { get; set; } }
sealed class TsvRow
{
    [Microsoft.ML.Data.LoadColumn(0)] public string Text { get; set; } = "";
    [Microsoft.ML.Data.LoadColumn(1)] public bool Label { get; set; }
}
