using System.Globalization;
using System.Text.Json;

namespace MLNet.FineTune.Tests.Cli;

[TestClass]
public sealed class TrainCommandTests : CliTest
{
    [TestMethod]
    public void TrainWritesTheModelMetricsPlotCardAndResolvedConfig()
    {
        var (_, output, json) = TrainCliFixture.Shared;
        Assert.AreEqual("completed", json.GetProperty("status").GetString());
        Assert.AreEqual(4, json.GetProperty("steps").GetInt32(), "16 rows, batch 8 (auto), 2 epochs");
        Assert.AreEqual(16, json.GetProperty("training_rows").GetInt32());
        Assert.AreEqual(8, json.GetProperty("validation_rows").GetInt32());
        Assert.IsTrue(json.GetProperty("metrics").TryGetProperty("accuracy", out _), json.ToString());
        foreach (var file in new[] { "model.zip", "metrics.csv", "loss.png", "README.md", "config.json" })
            Assert.IsTrue(File.Exists(Path.Combine(output, file)), file);
        Assert.IsFalse(Directory.Exists(Path.Combine(output, "checkpoints")), "a completed run deletes its checkpoints");
        Assert.IsTrue(TrainCliFixture.IsPng(Path.Combine(output, "loss.png")));

        var csv = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        Assert.AreEqual("step,epoch,train_loss,learning_rate,grad_norm,validation_loss,validation_accuracy", csv[0]);
        Assert.AreEqual(5, csv.Length, "a header and one row per step");
        var rows = csv.Skip(1).Select(l => l.Split(',')).ToList();
        CollectionAssert.AreEqual(new[] { "1", "2", "3", "4" }, rows.Select(r => r[0]).ToArray());
        // Validation runs at the end of each epoch (steps 2 and 4) and only there.
        CollectionAssert.AreEqual(new[] { false, true, false, true }, rows.Select(r => r[5].Length > 0).ToArray());
        Assert.IsTrue(rows.All(r => double.Parse(r[2], CultureInfo.InvariantCulture) > 0));

        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json"))).RootElement;
        Assert.AreEqual(8, config.GetProperty("batch_size").GetInt32(), "auto batch for 16 rows");
        Assert.AreEqual(1e-3, config.GetProperty("learning_rate").GetDouble(), "auto learning rate for the builtin model");
        Assert.AreEqual(2, config.GetProperty("epochs").GetInt32());
        Assert.AreEqual("8", config.GetProperty("auto").GetProperty("batch_size").GetString());
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "README.md")), "| Base model | builtin |");
    }

    [TestMethod]
    public void TheWrittenConfigReproducesTheRunBitForBit()
    {
        var (folder, output, _) = TrainCliFixture.Shared;
        var again = Path.Combine(TrainCliFixture.NewFolder("repro"), "run");
        var result = CliProcess.Run("train", "--config", Path.Combine(output, "config.json"), "--output", again, "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        CollectionAssert.AreEqual(TrainCliFixture.Weights(Path.Combine(output, "model.zip")), TrainCliFixture.Weights(Path.Combine(again, "model.zip")));
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(again, "config.json"))).RootElement;
        Assert.AreEqual(Path.Combine(folder, "train.jsonl"), config.GetProperty("data").GetString());
        Assert.AreEqual(again, config.GetProperty("output").GetString(), "--output overrides the file");
    }

    [TestMethod]
    public void AnInterruptedRunResumesToTheSameModelAsAnUninterruptedOne()
    {
        // The test hook cancels exactly as Ctrl+C does, after a known step (a signal's timing is not reproducible).
        var (folder, output, _) = TrainCliFixture.Shared;
        var run = Path.Combine(TrainCliFixture.NewFolder("resume"), "run");
        var stopped = TrainCliFixture.Run(TrainCliFixture.TrainArgs(folder, run).SkipLast(1), new Dictionary<string, string> { ["MLNET_FINETUNE_CANCEL_AFTER_STEPS"] = "1" });
        Assert.AreEqual(2, stopped.ExitCode, stopped.ToString());
        StringAssert.Contains(stopped.Stderr, $"Resume with: mlnet-finetune train --resume {run}", stopped.ToString());
        Assert.IsTrue(Directory.Exists(Path.Combine(run, "checkpoints", "checkpoint-1")), stopped.ToString());
        Assert.IsFalse(File.Exists(Path.Combine(run, "model.zip")));

        var again = CliProcess.Run("train", "--output", run, "--json");
        Assert.AreEqual(2, again.ExitCode, "a folder holding an interrupted run is not trained over");
        StringAssert.Contains(again.Stderr, "--resume");

        var resumed = CliProcess.Run("train", "--resume", run, "--json");
        Assert.AreEqual(0, resumed.ExitCode, resumed.ToString());
        var json = JsonDocument.Parse(resumed.Stdout).RootElement;
        Assert.AreEqual(1, json.GetProperty("resumed_from_step").GetInt32());
        Assert.AreEqual(4, json.GetProperty("steps").GetInt32());
        CollectionAssert.AreEqual(TrainCliFixture.Weights(Path.Combine(output, "model.zip")), TrainCliFixture.Weights(Path.Combine(run, "model.zip")));
        Assert.AreEqual(5, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length, "metrics.csv has every step once, also those before the interruption");
    }

    [TestMethod]
    public void CtrlCStopsAtAStepWritesACheckpointAndPrintsTheResumeCommand()
    {
        if (TrainCliFixture.SigIntIgnored())
            Assert.Inconclusive("This test process ignores SIGINT (started in the background by a non-interactive shell), so the tool would too; run the tests in a foreground shell.");
        var (folder, _, _) = TrainCliFixture.Shared;
        var run = Path.Combine(TrainCliFixture.NewFolder("sigint"), "run");
        // 200 epochs: far more steps than can run before the signal arrives.
        var args = TrainCliFixture.TrainArgs(folder, run).SkipLast(1).Select(a => a == "2" ? "200" : a);
        var result = TrainCliFixture.Run(args, interruptAfterLine: "step 1/");
        Assert.AreEqual(2, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "Interrupted at step", result.ToString());
        StringAssert.Contains(result.Stderr, $"Resume with: mlnet-finetune train --resume {run}", result.ToString());
        var checkpoints = Directory.GetDirectories(Path.Combine(run, "checkpoints"), "checkpoint-*");
        Assert.AreEqual(1, checkpoints.Length, result.ToString());
        Assert.IsTrue(File.Exists(Path.Combine(checkpoints[0], "trainer_state.json")));
        Assert.IsFalse(File.Exists(Path.Combine(run, "model.zip")));
    }

    [TestMethod]
    public void BadArgumentsAndBadDataAreOneLineErrorsWithExitCodeTwo()
    {
        var folder = TrainCliFixture.NewFolder("bad");
        var data = TrainCliFixture.WriteSentiment(folder, "train.jsonl", 4);
        File.WriteAllLines(Path.Combine(folder, "broken.jsonl"), ["{\"text\": \"fine\", \"label\": \"pos\"}", "{\"text\": \"oops\""]);
        File.WriteAllLines(Path.Combine(folder, "nolabel.jsonl"), ["{\"text\": \"fine\", \"label\": \"pos\"}", "{\"text\": \"no label\"}"]);
        var output = Path.Combine(folder, "out");
        (string[] Args, string Expected)[] cases =
        [
            (["train", "--output", output], "--data is required"),
            (["train", "--data", data], "--output is required"),
            (["train", "--data", data, "--output", output, "--epochs", "zero"], "--epochs must be a whole number"),
            (["train", "--data", data, "--output", output, "--learning-rate", "-1"], "--learning-rate must be"),
            (["train", "--data", data, "--output", output, "--task", "poetry"], "--task 'poetry' is not a task"),
            (["train", "--data", data, "--output", output, "--peft", "magic"], "--peft 'magic' is not a method"),
            (["train", "--data", data, "--output", output, "--model", "/no/such/model"], "--model '/no/such/model'"),
            (["train", "--data", Path.Combine(folder, "missing.jsonl"), "--output", output], "does not exist"),
            (["train", "--data", Path.Combine(folder, "broken.jsonl"), "--output", output], "broken.jsonl:2: invalid_json: not one valid JSON object"),
            (["train", "--data", Path.Combine(folder, "nolabel.jsonl"), "--output", output], "nolabel.jsonl:2: label: missing_key: missing key 'label'"),
            (["train", "--config", Path.Combine(folder, "train.jsonl")], "not valid JSON"),
            (["train", "--resume", folder], "no config.json there"),
            (["train", "--data", data, "--output", output, "--augment", "shuffle"], "--augment 'shuffle' is not an edit"),
            (["train", "--data", data, "--output", output, "--augment", "neighbours"], "needs a pretrained model's token embeddings"),
            (["evaluate", "--data", data], "--model is required"),
            (["export", "--model", Path.Combine(folder, "missing.zip"), "--format", "onnx", "--output", output], "does not exist"),
            (["export", "--model", data, "--format", "tflite", "--output", output], "--format 'tflite' is not a format"),
        ];
        foreach (var (args, expected) in cases)
        {
            var result = CliProcess.Run(args);
            Assert.AreEqual(2, result.ExitCode, result.ToString());
            var error = result.Stderr.Trim();
            Assert.AreEqual(1, error.Split('\n').Length, $"one line: {result}");
            StringAssert.StartsWith(error, "error: ", result.ToString());
            StringAssert.Contains(error, expected, result.ToString());
        }
        Assert.IsFalse(Directory.Exists(output), "no output folder is created for a failed start");
    }

    [TestMethod]
    public void ConfigFileValuesAreOverriddenByFlags()
    {
        var folder = TrainCliFixture.NewFolder("config");
        var data = TrainCliFixture.WriteSentiment(folder, "train.jsonl", 8);
        File.WriteAllText(Path.Combine(folder, "run.json"), """{ "data": "train.jsonl", "epochs": 7, "batch_size": 4, "max_length": 16, "output": "out" }""");
        var result = CliProcess.Run("train", "--config", Path.Combine(folder, "run.json"), "--epochs", "1", "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var config = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("config");
        Assert.AreEqual(1, config.GetProperty("epochs").GetInt32(), "the flag wins");
        Assert.AreEqual(4, config.GetProperty("batch_size").GetInt32(), "the file's value");
        Assert.AreEqual(16, config.GetProperty("max_length").GetInt32());
        Assert.AreEqual(data, config.GetProperty("data").GetString(), "relative to the config file");
        Assert.AreEqual(Path.Combine(folder, "out"), config.GetProperty("output").GetString());
        Assert.AreEqual(2, JsonDocument.Parse(result.Stdout).RootElement.GetProperty("steps").GetInt32());
    }

    [TestMethod]
    public void AugmentAddsEditedCopiesOfTheTrainingRowsAndRecordsItInTheConfig()
    {
        var folder = TrainCliFixture.NewFolder("augment");
        var data = TrainCliFixture.WriteSentiment(folder, "train.jsonl", 8);
        var result = CliProcess.Run("train", "--data", data, "--augment", "delete,swap", "--augment-copies", "2", "--epochs", "1", "--output", Path.Combine(folder, "out"), "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.AreEqual(24, json.GetProperty("training_rows").GetInt32(), "8 rows and 2 edited copies of each");
        Assert.AreEqual(3, json.GetProperty("steps").GetInt32(), "24 rows in batches of 8 (auto batch follows the 8 rows of the file)");
        Assert.AreEqual("delete,swap", json.GetProperty("config").GetProperty("augment").GetString());
        Assert.AreEqual(2, json.GetProperty("config").GetProperty("augment_copies").GetInt32());
        var copies = File.ReadAllLines(Path.Combine(folder, "out", "augmented.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.AreEqual(16, copies.Count, "the edited copies are written beside the model");
        Assert.IsTrue(copies.All(c => c.GetProperty("line").GetInt32() is >= 1 and <= 8), "each copy names its original line");
        Assert.IsTrue(copies.Any(c => !File.ReadAllText(data).Contains($"\"text\":\"{c.GetProperty("text").GetString()}\"", StringComparison.Ordinal)), "at least one copy differs from every original");
    }
}
