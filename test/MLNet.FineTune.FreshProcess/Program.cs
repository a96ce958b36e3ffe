// Usage: dotnet MLNet.FineTune.FreshProcess.dll <model.zip>
//        dotnet MLNet.FineTune.FreshProcess.dll text|text-inmemory <model.zip> <text>...
// Loads the model with a brand-new MLContext (no registration of any kind). Default: scores three fixed rows and
// prints the "Scaled" and "All" columns, one row per line, floats as round-trippable "R" strings separated by spaces.
// "text": a FineTune text classifier (bool label); prints each text's Probability ("R") and PredictedLabel.
// "save-adapter-loop <folder>": saves two LoRA adapters into <folder> in turn until killed (AdapterSaveKillTests).
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length == 2 && args[0] == "save-adapter-loop") { MLNet.FineTune.Tests.Peft.AdapterSaveLoop.Run(args[1]); return 0; }
if (args.Length >= 2 && args[0] is "text" or "text-inmemory") return ScoreTexts(args[1], args[2..], inMemory: args[0] == "text-inmemory");
if (args.Length != 1) { Console.Error.WriteLine("usage: MLNet.FineTune.FreshProcess <model.zip>"); return 2; }
var ml = new MLContext();
var model = ml.Model.Load(args[0], out _);
var rows = new[] { new Row { Features = [1f, 2f, 3f] }, new Row { Features = [4f, -5f, 6.5f] }, new Row { Features = [0.25f, 8f, -1f] } };
var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
var scaled = scored.GetColumn<float[]>("Scaled").ToArray();
var all = scored.GetColumn<float[]>("All").ToArray();
for (int i = 0; i < scaled.Length; i++)
    Console.WriteLine(string.Join(' ', scaled[i].Concat(all[i]).Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
Console.Error.WriteLine("loaded transformers: " + string.Join(", ", ((IEnumerable<ITransformer>)model).Select(t => t.GetType().Name)));
return 0;

static int ScoreTexts(string path, string[] texts, bool inMemory)
{
    var ml = new MLContext();
    var model = inMemory ? MLNet.FineTune.InMemoryModelLoading.LoadInMemory(ml.Model, path, out _) : ml.Model.Load(path, out _);
    var scored = model.Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t })));
    var probabilities = scored.GetColumn<float>("Probability").ToArray();
    var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
    for (int i = 0; i < texts.Length; i++)
        Console.WriteLine(probabilities[i].ToString("R", CultureInfo.InvariantCulture) + " " + predicted[i]);
    return 0;
}

sealed class TextRow
{
    public string Text { get; set; } = "";
}

sealed class Row
{
    [VectorType(3)] public float[] Features { get; set; } = [];
}
