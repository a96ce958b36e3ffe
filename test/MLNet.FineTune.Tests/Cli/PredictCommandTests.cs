using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.FineTune;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Cli;

/// <summary><c>predict</c> on a tiny model fitted here: JSONL file, CSV and stdin in, one JSON line per input out, scores as in process.</summary>
[TestClass]
[DoNotParallelize]
public sealed class PredictCommandTests
{
    static string dir = "";
    static float[] expectedScores = [];
    static List<SentimentRow> rows = [];

    [ClassInitialize]
    public static void FitAndSave(TestContext _)
    {
        dir = Directory.CreateTempSubdirectory("mlnet-predict-").FullName;
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(32, seed: 5));
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick with { Training = new TrainingOptions { Epochs = 1, BatchSize = 16, LoggingSteps = 1000 } }).Fit(data);
        ml.Model.Save(model, data.Schema, Path.Combine(dir, "model.zip"));
        rows = SyntheticSentiment.Generate(5, seed: 9);
        expectedScores = model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();

        // An ML.NET model without a FineTune transformer, and a file that is no model at all.
        ml.Model.Save(ml.Transforms.CopyColumns("Copy", "Text").Fit(data), data.Schema, Path.Combine(dir, "plain.zip"));
        File.WriteAllText(Path.Combine(dir, "garbage.zip"), "this is not a zip");
        File.WriteAllLines(Path.Combine(dir, "inputs.jsonl"), rows.Select(r => JsonSerializer.Serialize(new { text = r.Text })));
    }

    [ClassCleanup]
    public static void Delete() => Directory.Delete(dir, recursive: true);

    static CliResult Predict(string? stdin, params string[] args) => CliProcess.Run(["predict", "--model", "model.zip", .. args], workingDirectory: dir, stdin: stdin);

    static void AssertScores(CliResult result)
    {
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(rows.Count, lines, result.ToString());
        for (int i = 0; i < lines.Length; i++)
        {
            var json = JsonDocument.Parse(lines[i]).RootElement;
            Assert.AreEqual(expectedScores[i], json.GetProperty("Score").GetSingle(), 1e-5f, $"line {i + 1}: {lines[i]}");
            var probability = json.GetProperty("Probability").GetSingle();
            Assert.IsTrue(probability is >= 0 and <= 1, lines[i]);
            Assert.AreEqual(probability > 0.5f, json.GetProperty("PredictedLabel").GetBoolean(), lines[i]);
        }
    }

    [TestMethod]
    public void JsonlFileInOneJsonLinePerInputOutInSmallBatches() => AssertScores(Predict(null, "inputs.jsonl", "--batch-size", "2"));

    [TestMethod]
    public void StdinIsReadWithoutAnInputFile() =>
        AssertScores(Predict(string.Join("\n", rows.Select(r => JsonSerializer.Serialize(new { text = r.Text }))) + "\n"));

    [TestMethod]
    public void CsvWithAChosenColumn()
    {
        File.WriteAllText(Path.Combine(dir, "inputs.csv"), "id,review\n" + string.Join("\n", rows.Select((r, i) => $"{i},\"{r.Text.Replace("\"", "\"\"")}\"")) + "\n");
        AssertScores(Predict(null, "inputs.csv", "--text-column", "review"));
    }

    [TestMethod]
    public void AMissingTextFieldIsAnErrorWithItsLine()
    {
        File.WriteAllText(Path.Combine(dir, "bad.jsonl"), "{\"text\":\"fine\"}\n{\"review\":\"no text key\"}\n");
        var result = Predict(null, "bad.jsonl");
        Assert.AreEqual(2, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "error: bad.jsonl:2: ", result.ToString());
        StringAssert.Contains(result.Stderr, "missing_key", result.ToString());
    }

    [TestMethod]
    public void MissingNonFineTuneAndNonZipModelsAreOneLineErrors()
    {
        foreach (var (model, expected) in new[] { ("missing.zip", "not found"), ("plain.zip", "holds no FineTune"), ("garbage.zip", "is not a model zip") })
        {
            var result = CliProcess.Run(["predict", "--model", model, "inputs.jsonl"], workingDirectory: dir);
            Assert.AreEqual(2, result.ExitCode, result.ToString());
            var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.HasCount(1, lines, result.ToString());
            StringAssert.Contains(lines[0], expected, result.ToString());
            StringAssert.Contains(lines[0], model, result.ToString());
        }
    }
}
