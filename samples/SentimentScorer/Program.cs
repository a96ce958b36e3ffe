// A production-style scorer: loads a FineTune model zip once and scores texts from standard input, one per line, on
// 4 worker threads through a ThreadSafePredictor (pooled PredictionEngines). Prints one tab-separated line per input,
// in input order: predicted label, probability, text.
//
//   dotnet run -c Release --project samples/SentimentScorer -- sentiment-model.zip < reviews.txt
using Microsoft.ML;
using MLNet.FineTune;

if (args.Length < 1 || !File.Exists(args[0]))
{
    Console.Error.WriteLine("usage: SentimentScorer <model.zip>   (texts on standard input, one per line)");
    return 2;
}
using var predictor = ThreadSafePredictor<Input, Output>.Load(new MLContext(), args[0]);
var lines = new List<string>();
for (string? line; (line = Console.In.ReadLine()) != null;) lines.Add(line);
var results = new Output[lines.Count];
Parallel.For(0, lines.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i] = predictor.Predict(new Input { Text = lines[i] }));
for (int i = 0; i < lines.Count; i++)
    Console.WriteLine($"{(results[i].PredictedLabel ? "positive" : "negative")}\t{results[i].Probability.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}\t{lines[i]}");
return 0;

public sealed class Input { public string Text { get; set; } = ""; }
public sealed class Output { public bool PredictedLabel { get; set; } public float Probability { get; set; } }
