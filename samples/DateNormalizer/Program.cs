// A model that visibly learns: a 4-layer GPT-2-shaped decoder trained from scratch here (random weights, byte-level
// tokenizer, data written by the sample itself) to rewrite free-form dates as ISO 8601, then scored with greedy
// decoding on held-out prompts. The pipeline is in DateNormalizer.cs; the data in ../Shared/SyntheticDates.cs.
//
//   dotnet run -c Release --project samples/DateNormalizer                      (20,000 rows, DateNormalizer.Recipe: 800 steps of 128)
//   ... -- --only-forms 8 --layers 2 --hidden 64 --batch 32 --steps 150         (the CI version: one surface form, 2024.03.05)
// Flags: --rows --held-out --forms N (the first N surface forms) --only-forms i,j --layers --hidden, and the recipe's
// --lr --batch --steps --warmup --wd --seed --log.
using System.Diagnostics;
using Microsoft.ML;
using MLNet.FineTune;
using MLNet.FineTune.Samples;

string? Text(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
int Arg(string name, int fallback) => Text(name) is { } t ? int.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : fallback;
double Real(string name, double fallback) => Text(name) is { } t ? double.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : fallback;
int rows = Arg("--rows", 20000), heldOutCount = Arg("--held-out", 500), forms = Arg("--forms", SyntheticDates.Forms);
int[]? onlyForms = Text("--only-forms")?.Split(',').Select(int.Parse).ToArray();
var shape = DateNormalizer.Model with { NumLayers = Arg("--layers", DateNormalizer.Model.NumLayers), HiddenSize = Arg("--hidden", DateNormalizer.Model.HiddenSize) };
var recipe = DateNormalizer.Recipe;
var training = recipe with
{
    LearningRate = Real("--lr", recipe.LearningRate), BatchSize = Arg("--batch", recipe.BatchSize), MaxSteps = Arg("--steps", recipe.MaxSteps),
    WarmupRatio = Real("--warmup", recipe.WarmupRatio), WeightDecay = Real("--wd", recipe.WeightDecay), Seed = Arg("--seed", recipe.Seed), LoggingSteps = Arg("--log", recipe.LoggingSteps),
};

var ml = new MLContext(seed: 1);
ml.Log += (_, e) => { if (e.Message.StartsWith("FineTuneTextGeneration", StringComparison.Ordinal) || e.Message.Contains("step ")) Console.WriteLine("  " + e.Message); };
var train = SyntheticDates.Generate(rows, seed: 1, forms, onlyForms);
var heldOut = DateNormalizer.HeldOut(train, heldOutCount, seed: 2, forms, onlyForms);
var shown = heldOut.Take(8).ToList();
Console.WriteLine($"Date normalisation: {train.Count} training rows, {heldOut.Count} held-out prompts.");

var untrained = DateNormalizer.Untrained(ml, training, shape);
var before = DateNormalizer.Complete(ml, untrained, heldOut);
Console.WriteLine($"Before training: exact match {SyntheticDates.ExactMatch(heldOut, before):P1}");

var watch = Stopwatch.StartNew();
var model = DateNormalizer.Train(ml, train, training, shape);
var trainSeconds = watch.Elapsed.TotalSeconds;
watch.Restart();
var after = DateNormalizer.Complete(ml, model, heldOut);
var generateSeconds = watch.Elapsed.TotalSeconds;
double exact = SyntheticDates.ExactMatch(heldOut, after);
Console.WriteLine($"After training: exact match {exact:P1} on {heldOut.Count} held-out prompts " +
    $"({model.History.GlobalStep} steps in {trainSeconds:F0} s; generation {generateSeconds:F1} s).");
Console.WriteLine();
Console.WriteLine($"{"prompt",-40} {"before",-16} {"after",-12}");
for (int i = 0; i < shown.Count; i++)
    Console.WriteLine($"{shown[i].Prompt.Split('\n')[0]["Date: ".Length..],-40} {Show(before[i]),-16} {Show(after[i]),-12}");

// One zip like every ML.NET model; the loaded model writes the same dates.
var path = Path.Combine(Path.GetTempPath(), "date-normalizer.zip");
ml.Model.Save(model, null, path);
var loaded = (TextGenerationTransformer)ml.Model.Load(path, out _);
bool same = DateNormalizer.Complete(ml, loaded, shown).SequenceEqual(after.Take(shown.Count));
Console.WriteLine($"\nSaved to {path} ({new FileInfo(path).Length / 1024} KiB); reloaded model gives the same dates: {same}");

// Control characters (an untrained model writes them) as their Unicode pictures (␊ for a newline), so the table stays aligned.
static string Show(string s)
{
    var visible = new string(s.Select(c => c < ' ' ? (char)(0x2400 + c) : c).ToArray());
    return visible.Length > 14 ? visible[..14] + "…" : visible;
}
