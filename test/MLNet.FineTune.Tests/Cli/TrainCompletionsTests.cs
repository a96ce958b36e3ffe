using System.Text.Json;
using MLNet.FineTune.Tests.TextGeneration;

namespace MLNet.FineTune.Tests.Cli;

/// <summary>
/// train → evaluate → predict → export for <c>--task completions</c>, driven as a process: LoRA on a tiny random GPT-2
/// checkpoint folder (prompt/completion JSONL), and a scratch decoder on chat JSONL interrupted and resumed.
/// </summary>
[TestClass]
public sealed class TrainCompletionsTests : CliTest
{
    static string WritePrompts(string folder, string name, int rows, int offset = 0)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllLines(path, Enumerable.Range(offset, rows).Select(i => JsonSerializer.Serialize(new { prompt = $"{i} + 1 =", completion = $" {i + 1}" })));
        return path;
    }

    [TestMethod]
    public void LoraOnACheckpointTrainsEvaluatesPredictsAndExportsItsAdapter()
    {
        var folder = TrainCliFixture.NewFolder("completions");
        var checkpoint = Path.Combine(folder, "tiny-gpt2");
        TinyGenerationModels.WriteCheckpoint(checkpoint, TinyGenerationModels.Gpt2);
        var data = WritePrompts(folder, "train.jsonl", 8);
        var dev = WritePrompts(folder, "dev.jsonl", 4, offset: 20);
        var output = Path.Combine(folder, "run");
        var trained = Json(CliProcess.Run("train", "--task", "completions", "--model", checkpoint, "--data", data, "--validation", dev,
            "--epochs", "1", "--batch-size", "4", "--learning-rate", "3e-2", "--max-new-tokens", "4", "--output", output, "--json"));
        Assert.AreEqual(2, trained.GetProperty("steps").GetInt32(), "8 rows, batch 4, 1 epoch");
        var config = trained.GetProperty("config");
        Assert.AreEqual("lora", config.GetProperty("peft").GetString(), "LoRA by default for a checkpoint, as the estimator");
        Assert.AreEqual(16, config.GetProperty("lora_rank").GetInt32());
        Assert.AreEqual("completion", config.GetProperty("loss").GetString());
        foreach (var file in new[] { "model.zip", "metrics.csv", "loss.png", "README.md", "config.json", "adapter/adapter_config.json", "adapter/adapter_model.safetensors" })
            Assert.IsTrue(File.Exists(Path.Combine(output, file)), file);
        var csv = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        Assert.AreEqual("step,epoch,train_loss,learning_rate,grad_norm,validation_loss,validation_perplexity", csv[0]);
        Assert.AreEqual(3, csv.Length);
        double loss = trained.GetProperty("metrics").GetProperty("loss").GetDouble();
        Assert.AreEqual(Math.Exp(loss), trained.GetProperty("metrics").GetProperty("perplexity").GetDouble(), 1e-6 * Math.Exp(loss));
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "README.md")), "lora (rank 16)");

        // evaluate: the validation loss training reported, and exact match of greedy completions (each mismatch in errors.jsonl).
        var report = Path.Combine(folder, "report");
        var evaluation = Json(CliProcess.Run("evaluate", "--model", Path.Combine(output, "model.zip"), "--data", dev, "--output", report, "--json"));
        Assert.AreEqual("completions", evaluation.GetProperty("task").GetString());
        var metrics = evaluation.GetProperty("metrics");
        Assert.AreEqual(loss, metrics.GetProperty("loss").GetDouble(), 1e-5);
        double exact = metrics.GetProperty("exact_match").GetDouble();
        var errors = File.ReadAllLines(Path.Combine(report, "errors.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.AreEqual(4 - (int)Math.Round(4 * exact), errors.Count);
        Assert.AreEqual(errors.Count, evaluation.GetProperty("errors").GetInt32());

        // predict: greedy completions are evaluate's; sampling with a seed is reproducible.
        var greedy = Lines(CliProcess.Run("predict", "--model", Path.Combine(output, "model.zip"), dev)).Select(l => l.GetProperty("Completion").GetString()!).ToList();
        Assert.AreEqual(4, greedy.Count);
        foreach (var e in errors)
        {
            Assert.AreEqual(greedy[e.GetProperty("line").GetInt32() - 1], e.GetProperty("completion").GetString());
            Assert.AreEqual($" {19 + e.GetProperty("line").GetInt32() + 1}", e.GetProperty("reference").GetString());
        }
        string[] sampling = ["predict", "--model", Path.Combine(output, "model.zip"), "--temperature", "1.5", "--seed", "7", "--max-new-tokens", "8"];
        var stdin = "{\"prompt\": \"3 + 1 =\"}\n{\"prompt\": \"5 + 1 =\"}\n";
        var first = CliProcess.Run(sampling, stdin: stdin);
        Assert.AreEqual(2, Lines(first).Count);
        Assert.AreEqual(first.Stdout, CliProcess.Run(sampling, stdin: stdin).Stdout, "the same seed gives the same text");

        // export --format peft writes the adapter train wrote; other formats are refused with the way out.
        var peft = Path.Combine(folder, "peft");
        var export = Json(CliProcess.Run("export", "--model", Path.Combine(output, "model.zip"), "--format", "peft", "--output", peft, "--json"));
        CollectionAssert.AreEqual(new[] { "adapter_config.json", "adapter_model.safetensors" }, export.GetProperty("files").EnumerateArray().Select(f => f.GetString()).ToArray());
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(output, "adapter", "adapter_model.safetensors")), File.ReadAllBytes(Path.Combine(peft, "adapter_model.safetensors")));
        var hf = CliProcess.Run("export", "--model", Path.Combine(output, "model.zip"), "--format", "hf", "--output", Path.Combine(folder, "hf"), "--json");
        Assert.AreEqual(2, hf.ExitCode, hf.ToString());
        StringAssert.Contains(JsonDocument.Parse(hf.Stdout).RootElement.GetProperty("error").GetString(), "exports as --format peft");
    }

    [TestMethod]
    public void ChatFromScratchResumesAfterAnInterruptionToTheSameModel()
    {
        var folder = TrainCliFixture.NewFolder("chat");
        var data = Path.Combine(folder, "chat.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 6).Select(i => JsonSerializer.Serialize(new
        {
            messages = new object[] { new { role = "user", content = $"echo {i}" }, new { role = "assistant", content = $"{i}" } },
        })));
        string[] Args(string output) => ["train", "--task", "completions", "--data", data, "--epochs", "2", "--batch-size", "2", "--max-new-tokens", "3", "--output", output, "--json"];
        var whole = Path.Combine(folder, "whole");
        var uninterrupted = Json(CliProcess.Run(Args(whole)));
        Assert.AreEqual(6, uninterrupted.GetProperty("steps").GetInt32());
        Assert.AreEqual("builtin", uninterrupted.GetProperty("config").GetProperty("model").GetString());
        Assert.AreEqual("full", uninterrupted.GetProperty("config").GetProperty("peft").GetString(), "a scratch model trains every weight");
        Assert.IsFalse(Directory.Exists(Path.Combine(whole, "adapter")));

        var run = Path.Combine(folder, "run");
        var stopped = TrainCliFixture.Run(Args(run).SkipLast(1), new Dictionary<string, string> { ["MLNET_FINETUNE_CANCEL_AFTER_STEPS"] = "2" });
        Assert.AreEqual(2, stopped.ExitCode, stopped.ToString());
        StringAssert.Contains(stopped.Stderr, $"Resume with: mlnet-finetune train --resume {run}", stopped.ToString());
        Assert.IsFalse(File.Exists(Path.Combine(run, "model.zip")));
        var resumed = Json(CliProcess.Run("train", "--resume", run, "--json"));
        Assert.AreEqual(2, resumed.GetProperty("resumed_from_step").GetInt32());
        Assert.AreEqual(6, resumed.GetProperty("steps").GetInt32());
        CollectionAssert.AreEqual(TrainCliFixture.Weights(Path.Combine(whole, "model.zip")), TrainCliFixture.Weights(Path.Combine(run, "model.zip")));
        Assert.AreEqual(7, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length, "every step once");

        // A conversation without its reply is completed; one with a reply has it dropped (it is the reference).
        var replies = Lines(CliProcess.Run(["predict", "--model", Path.Combine(run, "model.zip")],
            stdin: "{\"messages\": [{\"role\": \"user\", \"content\": \"echo 1\"}]}\n{\"messages\": [{\"role\": \"user\", \"content\": \"echo 1\"}, {\"role\": \"assistant\", \"content\": \"x\"}]}\n"));
        Assert.AreEqual(2, replies.Count);
        Assert.AreEqual(replies[0].GetProperty("Completion").GetString(), replies[1].GetProperty("Completion").GetString());
        var evaluation = Json(CliProcess.Run("evaluate", "--model", Path.Combine(run, "model.zip"), "--data", data, "--json")).GetProperty("metrics");
        Assert.IsTrue(evaluation.GetProperty("exact_match").GetDouble() is >= 0 and <= 1);
        Assert.IsTrue(double.IsFinite(evaluation.GetProperty("perplexity").GetDouble()));

        var prompts = WritePrompts(folder, "prompts.jsonl", 2);
        var mismatch = CliProcess.Run("evaluate", "--model", Path.Combine(run, "model.zip"), "--data", prompts);
        Assert.AreEqual(2, mismatch.ExitCode);
        StringAssert.Contains(mismatch.Stderr, "prompt/completion examples, but the model was trained on chat examples");
        var encoder = CliProcess.Run("train", "--task", "completions", "--model", "minilm", "--data", data, "--output", Path.Combine(folder, "x"));
        Assert.AreEqual(2, encoder.ExitCode);
        StringAssert.Contains(encoder.Stderr, "--task completions trains a decoder");
        var peft = CliProcess.Run("train", "--task", "completions", "--peft", "adapters", "--data", data, "--output", Path.Combine(folder, "x"));
        Assert.AreEqual(2, peft.ExitCode);
        StringAssert.Contains(peft.Stderr, "full or lora");
    }
}
