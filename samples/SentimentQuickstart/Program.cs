// The README's main job: fine-tune a pretrained encoder (all-MiniLM-L6-v2, shipped through NuGet) as a sentiment
// classifier inside an ML.NET pipeline, evaluate it with ML.NET's evaluator, save it as one .zip, reload it in a fresh
// MLContext and score new sentences — next to the small built-in model trained from scratch on the same data.
//
//   dotnet run -c Release --project samples/SentimentQuickstart                       (MiniLM, embedded data)
//   ... -- --model arctic | builtin                  (snowflake-arctic-embed-xs, or only the from-scratch model)
//   ... -- --method lora                             (LoRA instead of full fine-tuning)
//   ... -- --base <folder>                           (any Hugging Face BERT/RoBERTa/DistilBERT folder, or one with model.onnx)
//   ... -- --train <tsv> --test <tsv> [--rows N]     (sentence<TAB>label files with a header row, e.g. GLUE SST-2)
using System.Diagnostics;
using Microsoft.ML;
using MLNet.FineTune;
using MLNet.FineTune.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Pretrained;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Training;

string? baseFolder = Arg("--base"), trainFile = Arg("--train"), testFile = Arg("--test");
string modelName = Arg("--model") ?? "minilm", method = Arg("--method") ?? "full";
PretrainedModel? pretrained = baseFolder is null ? modelName switch
{
    "minilm" => PretrainedModels.AllMiniLmL6V2, "arctic" => PretrainedModels.ArcticEmbedXs, "builtin" => null,
    _ => throw new ArgumentException($"--model {modelName}: expected minilm, arctic or builtin."),
} : null;
int rows = int.Parse(Arg("--rows") ?? "2000");
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

string[] probes = ["The acting was truly wonderful.", "I thought the plot was not good at all.", "Honestly, the ending felt boring.",
    "The soundtrack was not bad.", "Not a single scene worked for me.", "A delight from start to finish, despite a slow opening."];
var progress = new Progress<FineTuneProgress>(p =>
{
    if (p.EvalMetrics is null && p.Step % 25 != 0 && p.Step != p.TotalSteps) return;
    Console.WriteLine($"  epoch {p.Epoch} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.LearningRate:E1} {p.ExamplesPerSecond:F0} ex/s ETA {p.EstimatedTimeRemaining:mm\\:ss}");
});

// --- the pipeline a user writes ---
var options = new FineTuneOptions
{
    BaseModel = pretrained,                       // a pretrained encoder from MLNet.FineTune.Pretrained
    BaseModelFolder = baseFolder,                 // ...or your own checkpoint folder; both null: the built-in model from scratch
    TextColumnName = "Text", LabelColumnName = "Label",
    MaxSequenceLength = 64,
    Peft = new PeftOptions { Method = method == "lora" ? PeftMethod.Lora : PeftMethod.Full },
    Progress = progress,
};
var scoresByModel = new List<(string Name, float[] Probabilities)>();
Console.WriteLine($"Fine-tuning {(pretrained?.ToString() ?? baseFolder ?? "the built-in model from scratch")} ({method})");
FitEvaluateSaveReload(options, "sentiment-model.zip");
if (pretrained is not null || baseFolder is not null)
{
    // The same data through the small built-in model trained from scratch: what pretraining adds.
    Console.WriteLine("For comparison, the built-in model trained from scratch on the same data:");
    FitEvaluateSaveReload(new FineTuneOptions { MaxSequenceLength = 64, Training = FineTuneDefaults.ForBuiltInModel with { Epochs = 6 } }, "sentiment-builtin.zip");
}
Console.WriteLine();
Console.WriteLine("P(positive) per model:  " + string.Join("  ", scoresByModel.Select(m => $"{m.Name,-10}")));
for (int i = 0; i < probes.Length; i++)
    Console.WriteLine($"  {string.Join("  ", scoresByModel.Select(m => $"{m.Probabilities[i],-10:P0}"))}  \"{probes[i]}\"");

ITransformer FitEvaluateSaveReload(FineTuneOptions fineTune, string file)
{
    var watch = Stopwatch.StartNew();
    var model = ml.Transforms.FineTune(fineTune).Fit(train);
    Console.WriteLine($"Trained in {watch.Elapsed.TotalSeconds:F1} s: {model.Card.Parameters}");
    var metrics = ml.BinaryClassification.Evaluate(model.Transform(test));
    Console.WriteLine($"Test accuracy {metrics.Accuracy:P1}, AUC {metrics.AreaUnderRocCurve:F3}, F1 {metrics.F1Score:F3}");

    // --- save one .zip, reload in a fresh MLContext (as a production app would), score new sentences ---
    var path = Path.GetFullPath(file);
    ml.Model.SaveAtomic(model, train.Schema, path);
    Console.WriteLine($"Saved {path} ({new FileInfo(path).Length / 1024 / 1024.0:F1} MiB)");
    var production = new MLContext();
    var loaded = production.Model.LoadChecked(path, out _);
    var engine = production.Model.CreatePredictionEngine<SentimentRow, SentimentPrediction>(loaded);
    var reloadedMetrics = production.BinaryClassification.Evaluate(loaded.Transform(test));
    Console.WriteLine($"Reloaded model test accuracy {reloadedMetrics.Accuracy:P1} (same model, fresh MLContext)");
    scoresByModel.Add((model.Card.BaseModel == "builtin" ? "scratch" : model.Card.BaseModel.Split('/')[^1][..Math.Min(10, model.Card.BaseModel.Split('/')[^1].Length)],
        probes.Select(t => engine.Predict(new SentimentRow { Text = t }).Probability).ToArray()));
    return loaded;
}

string? Arg(string name) { var i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }

sealed class SentimentPrediction { public bool PredictedLabel { get; set; } public float Probability { get; set; } public float Score { get; set; } }
sealed class TsvRow
{
    [Microsoft.ML.Data.LoadColumn(0)] public string Text { get; set; } = "";
    [Microsoft.ML.Data.LoadColumn(1)] public bool Label { get; set; }
}
