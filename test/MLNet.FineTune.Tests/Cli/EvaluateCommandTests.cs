using System.Text.Json;

namespace MLNet.FineTune.Tests.Cli;

[TestClass]
public sealed class EvaluateCommandTests : CliTest
{
    [TestMethod]
    public void EvaluateReportsMetricsPerClassAndWritesErrorsAndTheConfusionPlot()
    {
        var (folder, output, trained) = TrainCliFixture.Shared;
        var report = Path.Combine(TrainCliFixture.NewFolder("evaluate"), "report");
        var result = CliProcess.Run("evaluate", "--model", Path.Combine(output, "model.zip"), "--data", Path.Combine(folder, "dev.jsonl"), "--output", report, "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.AreEqual("classification", json.GetProperty("task").GetString());
        Assert.AreEqual(8, json.GetProperty("rows").GetInt32());
        var metrics = json.GetProperty("metrics");
        // The same rows scored by the same model: what training reported for its validation set.
        Assert.AreEqual(trained.GetProperty("metrics").GetProperty("accuracy").GetDouble(), metrics.GetProperty("accuracy").GetDouble(), 1e-6);
        Assert.AreEqual(trained.GetProperty("metrics").GetProperty("loss").GetDouble(), metrics.GetProperty("log_loss").GetDouble(), 1e-4);
        var perClass = json.GetProperty("per_class").EnumerateArray().ToList();
        CollectionAssert.AreEquivalent(new[] { "neg", "pos" }, perClass.Select(c => c.GetProperty("label").GetString()).ToArray());
        Assert.AreEqual(8, perClass.Sum(c => c.GetProperty("support").GetInt32()));

        var errors = File.ReadAllLines(Path.Combine(report, "errors.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.AreEqual(json.GetProperty("errors").GetInt32(), errors.Count);
        Assert.AreEqual(1 - errors.Count / 8.0, metrics.GetProperty("accuracy").GetDouble(), 1e-9, "every wrong row is in errors.jsonl");
        foreach (var e in errors)
        {
            Assert.AreNotEqual(e.GetProperty("gold").GetString(), e.GetProperty("predicted").GetString());
            Assert.IsTrue(e.GetProperty("line").GetInt32() is >= 1 and <= 8);
            var scores = e.GetProperty("scores");
            Assert.AreEqual(1.0, scores.GetProperty("neg").GetDouble() + scores.GetProperty("pos").GetDouble(), 1e-5);
            Assert.AreEqual(scores.GetProperty(e.GetProperty("predicted").GetString()!).GetDouble(), e.GetProperty("confidence").GetDouble(), 1e-6);
        }
        Assert.IsTrue(TrainCliFixture.IsPng(Path.Combine(report, "confusion.png")));
        Assert.IsTrue(File.Exists(Path.Combine(report, "metrics.json")));
    }

    [TestMethod]
    public void NerTrainsFromCoNllAndEvaluatesPerEntityType()
    {
        var folder = TrainCliFixture.NewFolder("ner");
        string[] names = ["John", "Mary", "Ahmed", "Lena"], cities = ["Paris", "Oslo", "Lima", "Rome"];
        var conll = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            conll.AddRange([$"{names[i % 4]} B-PER", "lives O", "in O", $"{cities[(i + 1) % 4]} B-LOC", ""]);
        }
        File.WriteAllLines(Path.Combine(folder, "train.conll"), conll);
        var output = Path.Combine(folder, "run");
        var train = CliProcess.Run("train", "--data", Path.Combine(folder, "train.conll"), "--task", "ner", "--epochs", "2", "--output", output, "--json");
        Assert.AreEqual(0, train.ExitCode, train.ToString());

        var result = CliProcess.Run("evaluate", "--model", Path.Combine(output, "model.zip"), "--data", Path.Combine(folder, "train.conll"), "--output", Path.Combine(folder, "report"), "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.AreEqual("ner", json.GetProperty("task").GetString());
        Assert.AreEqual(12, json.GetProperty("rows").GetInt32());
        var types = json.GetProperty("per_entity_type").EnumerateArray().ToList();
        var gold = types.ToDictionary(t => t.GetProperty("type").GetString()!, t => t.GetProperty("support").GetInt32());
        Assert.AreEqual(12, gold["PER"]);
        Assert.AreEqual(12, gold["LOC"]);
        foreach (var key in new[] { "precision", "recall", "f1", "token_accuracy" })
            Assert.IsTrue(json.GetProperty("metrics").GetProperty(key).GetDouble() is >= 0 and <= 1, key);
        var errors = File.ReadAllLines(Path.Combine(folder, "report", "errors.jsonl"));
        Assert.AreEqual(json.GetProperty("errors").GetInt32(), errors.Length);
        foreach (var line in errors)
        {
            var e = JsonDocument.Parse(line).RootElement;
            Assert.AreEqual(4, e.GetProperty("tokens").GetArrayLength());
            Assert.IsTrue(e.GetProperty("wrong").GetArrayLength() > 0);
        }
        Assert.IsFalse(File.Exists(Path.Combine(folder, "report", "confusion.png")), "no confusion plot for entities");
    }

    [TestMethod]
    public void RegressionTrainsAndEvaluatesWithErrorMetrics()
    {
        var folder = TrainCliFixture.NewFolder("regression");
        var path = Path.Combine(folder, "scores.csv");
        File.WriteAllLines(path, new[] { "sentence,score" }.Concat(Enumerable.Range(0, 12).Select(i => $"\"a {(i % 2 == 0 ? "good, fine" : "bad")} day\",{(i % 2 == 0 ? 4.5 : 1.0)}")));
        var output = Path.Combine(folder, "run");
        var train = CliProcess.Run("train", "--data", path, "--task", "regression", "--text-column", "sentence", "--label-column", "score", "--epochs", "1", "--output", output, "--json");
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        var result = CliProcess.Run("evaluate", "--model", Path.Combine(output, "model.zip"), "--data", path, "--text-column", "sentence", "--label-column", "score", "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var metrics = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("metrics");
        Assert.AreEqual(Math.Sqrt(metrics.GetProperty("mse").GetDouble()), metrics.GetProperty("rmse").GetDouble(), 1e-9);
        Assert.IsTrue(metrics.GetProperty("mae").GetDouble() > 0);
    }
}
