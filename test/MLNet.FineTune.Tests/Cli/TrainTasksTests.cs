using System.Text.Json;
using MLNet.FineTune.Tests.Robustness;

namespace MLNet.FineTune.Tests.Cli;

/// <summary>
/// train → evaluate → predict for the multi-task, setfit and embeddings tasks, on data the tests write and (setfit,
/// embeddings) a tiny random BERT checkpoint folder, so each run takes seconds.
/// </summary>
[TestClass]
public sealed class TrainTasksTests : CliTest
{
    static readonly string[] Words = ["hello", "world", "new", "york", "a", "b", "c", "d", "e"];

    static string Tiny(string folder) => CorpusFixtures.TinyBert(Path.Combine(folder, "tiny-bert"));

    static void WriteJsonl(string path, IEnumerable<object> rows) => File.WriteAllLines(path, rows.Select(r => JsonSerializer.Serialize(r)));

    [TestMethod]
    public void FreezeWordEmbeddingsTrainsWithTheTableFrozenAndIsRefusedWhereItCannotApply()
    {
        var folder = TrainCliFixture.NewFolder("freeze-words");
        var data = Path.Combine(folder, "train.jsonl");
        WriteJsonl(data, Enumerable.Range(0, 8).Select(i => (object)new { text = $"{Words[i % 9]} {Words[(i + 2) % 9]}", label = i % 2 == 0 ? "pos" : "neg" }));
        var model = Tiny(folder);
        var output = Path.Combine(folder, "run");
        var trained = Json(CliProcess.Run("train", "--data", data, "--model", model, "--peft", "full", "--freeze-word-embeddings",
            "--epochs", "1", "--max-length", "16", "--output", output, "--json"));
        Assert.AreEqual("completed", trained.GetProperty("status").GetString());
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json"))).RootElement;
        Assert.IsTrue(config.GetProperty("freeze_word_embeddings").GetBoolean());
        // The model card's PEFT parameter report: full fine-tuning with the table frozen trains less than everything.
        var report = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(output, "README.md")), @"trainable params: ([\d,]+) \\?\|\\?\| all params: ([\d,]+)");
        Assert.IsTrue(report.Success, "README.md has the parameter report");
        long trainable = long.Parse(report.Groups[1].Value.Replace(",", "")), all = long.Parse(report.Groups[2].Value.Replace(",", ""));
        Assert.IsTrue(trainable < all, $"trainable {trainable} of {all}: the word-embedding table should not train");

        foreach (var refused in new[] { new[] { "--peft", "lora" }, new[] { "--peft", "bitfit" } })
        {
            var result = CliProcess.Run(["train", "--data", data, "--model", model, .. refused, "--freeze-word-embeddings", "--output", Path.Combine(folder, "x")]);
            Assert.AreEqual(2, result.ExitCode, result.ToString());
            StringAssert.Contains(result.Stderr, "--freeze-word-embeddings is for --peft full on an encoder task", result.ToString());
        }
    }

    [TestMethod]
    public void MultiTaskTrainsTwoHeadsEvaluatesEachOnItsLabelledRowsAndPredictsBoth()
    {
        var folder = TrainCliFixture.NewFolder("multitask");
        var data = Path.Combine(folder, "train.jsonl");
        // Every row has stars; every third lacks a sentiment (labelled for one head only).
        File.WriteAllLines(data, Enumerable.Range(0, 12).Select(i => i % 3 == 2
            ? JsonSerializer.Serialize(new { text = $"the film was {Words[i % 9]}", stars = i % 5 })
            : JsonSerializer.Serialize(new { text = $"the film was {Words[i % 9]}", sentiment = i % 2 == 0 ? "pos" : "neg", stars = i % 5 })));
        var output = Path.Combine(folder, "run");
        // Validation rows may lack a head's label too (every third lacks a sentiment): each head is scored on its labelled rows.
        var trained = Json(CliProcess.Run("train", "--data", data, "--validation", data, "--task", "multi-task", "--heads", "sentiment:classification,stars:regression",
            "--task-sampling", "round-robin", "--epochs", "1", "--batch-size", "4", "--output", output, "--json"));
        Assert.AreEqual("completed", trained.GetProperty("status").GetString());
        foreach (var metric in new[] { "sentiment.accuracy", "sentiment.loss", "stars.mse", "loss" })
            Assert.IsTrue(double.IsFinite(trained.GetProperty("metrics").GetProperty(metric).GetDouble()), trained.GetProperty("metrics").ToString());
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json"))).RootElement;
        Assert.AreEqual("multi-task", config.GetProperty("task").GetString());
        Assert.AreEqual("sentiment:classification,stars:regression", config.GetProperty("heads").GetString());
        Assert.AreEqual("round-robin", config.GetProperty("task_sampling").GetString());
        foreach (var file in new[] { "model.zip", "metrics.csv", "loss.png", "README.md" }) Assert.IsTrue(File.Exists(Path.Combine(output, file)), file);

        var evaluation = Json(CliProcess.Run("evaluate", "--model", Path.Combine(output, "model.zip"), "--data", data, "--output", Path.Combine(folder, "report"), "--json"));
        Assert.AreEqual("multi-task", evaluation.GetProperty("task").GetString());
        var metrics = evaluation.GetProperty("metrics");
        Assert.IsTrue(metrics.GetProperty("sentiment.accuracy").GetDouble() is >= 0 and <= 1, metrics.ToString());
        Assert.IsTrue(metrics.GetProperty("stars.rmse").GetDouble() >= 0, metrics.ToString());
        var perClass = evaluation.GetProperty("per_class").EnumerateArray().ToList();
        CollectionAssert.AreEquivalent(new[] { "sentiment:neg", "sentiment:pos" }, perClass.Select(c => c.GetProperty("label").GetString()).ToArray());
        Assert.AreEqual(8, perClass.Sum(c => c.GetProperty("support").GetInt32()), "sentiment is scored on the 8 rows labelled for it");
        var errors = File.ReadAllLines(Path.Combine(folder, "report", "errors.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        // Regression keeps its largest errors, one per row: 12 rows have stars.
        Assert.AreEqual(12, errors.Count(e => e.GetProperty("head").GetString() == "stars"));
        Assert.AreEqual(evaluation.GetProperty("errors").GetInt32(), errors.Count);

        File.WriteAllLines(Path.Combine(folder, "nolabels.jsonl"), ["{\"text\": \"a\", \"sentiment\": \"pos\", \"stars\": 1}", "{\"text\": \"b\"}"]);
        var missing = CliProcess.Run("train", "--data", Path.Combine(folder, "nolabels.jsonl"), "--task", "multi-task", "--heads", "sentiment,stars:regression", "--output", Path.Combine(folder, "x"));
        Assert.AreEqual(2, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Stderr, "nolabels.jsonl:2: missing_key: the row has no label for any head");

        var predictions = Lines(CliProcess.Run(["predict", "--model", Path.Combine(output, "model.zip")], stdin: "{\"text\": \"the film was new\"}\n{\"text\": \"a b c\"}\n"));
        Assert.AreEqual(2, predictions.Count);
        foreach (var p in predictions)
        {
            CollectionAssert.Contains(new[] { "pos", "neg" }, p.GetProperty("sentiment.PredictedLabel").GetString());
            Assert.IsTrue(float.IsFinite(p.GetProperty("stars.Score").GetSingle()), p.ToString());
        }
    }

    [TestMethod]
    public void MultiTaskWithOneLoraAdapterPerTaskExportsEachTasksAdapter()
    {
        var folder = TrainCliFixture.NewFolder("multitask-lora");
        var data = Path.Combine(folder, "train.jsonl");
        WriteJsonl(data, Enumerable.Range(0, 8).Select(i => (object)new { text = $"{Words[i % 9]} {Words[(i + 3) % 9]}", topic = i % 2 == 0 ? "x" : "y", mood = i % 3 == 0 ? "up" : "down" }));
        var output = Path.Combine(folder, "run");
        var model = Tiny(folder);
        Json(CliProcess.Run("train", "--data", data, "--task", "multi-task", "--heads", "topic,mood", "--model", model, "--peft", "lora", "--adapter-per-task",
            "--epochs", "1", "--max-length", "16", "--output", output, "--json"));
        foreach (var head in new[] { "topic", "mood" })
            Assert.IsTrue(File.Exists(Path.Combine(output, "adapter", head, "adapter_config.json")), $"train writes adapter/{head}/");

        var all = Json(CliProcess.Run("export", "--model", Path.Combine(output, "model.zip"), "--format", "peft", "--output", Path.Combine(folder, "peft"), "--json"));
        CollectionAssert.AreEquivalent(new[] { "mood", "topic" }, all.GetProperty("heads").EnumerateArray().Select(h => h.GetString()).ToArray());
        var one = Json(CliProcess.Run("export", "--model", Path.Combine(output, "model.zip"), "--format", "peft", "--head", "mood", "--output", Path.Combine(folder, "mood"), "--json"));
        Assert.AreEqual("mood", one.GetProperty("heads")[0].GetString());
        foreach (var dir in new[] { Path.Combine(folder, "peft", "topic"), Path.Combine(folder, "peft", "mood"), Path.Combine(folder, "mood") })
        {
            Assert.IsTrue(File.Exists(Path.Combine(dir, "adapter_model.safetensors")), dir);
            Assert.IsTrue(File.Exists(Path.Combine(dir, "adapter_config.json")), dir);
        }
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(folder, "peft", "mood", "adapter_model.safetensors")),
            File.ReadAllBytes(Path.Combine(folder, "mood", "adapter_model.safetensors")), "the same task's adapter either way");
        CollectionAssert.AreNotEqual(File.ReadAllBytes(Path.Combine(folder, "peft", "mood", "adapter_model.safetensors")),
            File.ReadAllBytes(Path.Combine(folder, "peft", "topic", "adapter_model.safetensors")), "each task trained its own adapter");

        var bad = CliProcess.Run("export", "--model", Path.Combine(output, "model.zip"), "--format", "peft", "--head", "genre", "--output", Path.Combine(folder, "x"));
        Assert.AreEqual(2, bad.ExitCode, bad.ToString());
        StringAssert.Contains(bad.Stderr, "--head 'genre' is not a head of this model; its heads are topic, mood");
        var hf = CliProcess.Run("export", "--model", Path.Combine(output, "model.zip"), "--format", "hf", "--output", Path.Combine(folder, "hf"));
        Assert.AreEqual(2, hf.ExitCode, hf.ToString());
    }

    [TestMethod]
    public void SetFitTrainsOnATinyCheckpointAndEvaluatesAndPredictsClasses()
    {
        var folder = TrainCliFixture.NewFolder("setfit");
        var model = Tiny(folder);
        var data = Path.Combine(folder, "train.jsonl");
        WriteJsonl(data, Enumerable.Range(0, 8).Select(i => (object)new { text = i % 2 == 0 ? $"hello world {Words[i]}" : $"new york {Words[i]}", label = i % 2 == 0 ? "greeting" : "city" }));
        var output = Path.Combine(folder, "run");
        var trained = Json(CliProcess.Run("train", "--data", data, "--validation", data, "--task", "setfit", "--model", model, "--setfit-iterations", "2",
            "--batch-size", "4", "--learning-rate", "1e-3", "--max-length", "16", "--output", output, "--json"));
        // 8 texts, 2 iterations of a positive and a negative pair each: 32 pairs, batch 4, 1 epoch (auto).
        Assert.AreEqual(8, trained.GetProperty("steps").GetInt32(), trained.ToString());
        var config = trained.GetProperty("config");
        Assert.AreEqual("cosine", config.GetProperty("loss").GetString(), "SetFit's default loss");
        Assert.AreEqual("logistic", config.GetProperty("setfit_head").GetString());
        Assert.AreEqual(1, config.GetProperty("epochs").GetInt32(), "auto epochs for setfit");
        foreach (var file in new[] { "model.zip", "metrics.csv", "loss.png", "README.md", "config.json" }) Assert.IsTrue(File.Exists(Path.Combine(output, file)), file);
        var csv = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        Assert.AreEqual(9, csv.Length, "a header and one row per step");
        StringAssert.Contains(csv[0], "validation_accuracy");
        Assert.IsTrue(csv[^1].Split(',').Last().Length > 0, "validation metrics on the last step");

        var evaluation = Json(CliProcess.Run("evaluate", "--model", Path.Combine(output, "model.zip"), "--data", data, "--output", Path.Combine(folder, "report"), "--json"));
        Assert.AreEqual("setfit", evaluation.GetProperty("task").GetString());
        Assert.AreEqual(trained.GetProperty("metrics").GetProperty("accuracy").GetDouble(), evaluation.GetProperty("metrics").GetProperty("accuracy").GetDouble(), 1e-9,
            "train's validation score is evaluate's on the same rows");
        CollectionAssert.AreEquivalent(new[] { "city", "greeting" }, evaluation.GetProperty("per_class").EnumerateArray().Select(c => c.GetProperty("label").GetString()).ToArray());
        Assert.IsTrue(TrainCliFixture.IsPng(Path.Combine(folder, "report", "confusion.png")));

        var predictions = Lines(CliProcess.Run(["predict", "--model", Path.Combine(output, "model.zip"), data]));
        Assert.AreEqual(8, predictions.Count);
        int correct = 0;
        for (int i = 0; i < 8; i++)
        {
            var p = predictions[i];
            Assert.IsFalse(p.TryGetProperty("SetFitEmbedding", out _), "the body's embedding is not a prediction");
            Assert.AreEqual(2, p.GetProperty("Score").GetArrayLength());
            Assert.AreEqual(1.0, p.GetProperty("Score").EnumerateArray().Sum(s => s.GetDouble()), 1e-4);
            if (p.GetProperty("PredictedLabel").GetString() == (i % 2 == 0 ? "greeting" : "city")) correct++;
        }
        Assert.AreEqual(evaluation.GetProperty("metrics").GetProperty("accuracy").GetDouble(), correct / 8.0, 1e-9, "predict and evaluate agree");
    }

    [TestMethod]
    public void EmbeddingPairsWithEachLossTrainEvaluateAndPredictSimilarities()
    {
        var folder = TrainCliFixture.NewFolder("embeddings");
        var model = Tiny(folder);
        string[] anchors = Enumerable.Range(0, 8).Select(i => $"{Words[i]} {Words[(i + 1) % 9]} hello").ToArray();
        string[] positives = Enumerable.Range(0, 8).Select(i => $"{Words[i]} {Words[(i + 1) % 9]} world").ToArray();
        var common = new[] { "--task", "embeddings", "--model", model, "--batch-size", "4", "--learning-rate", "1e-3", "--max-length", "16", "--json" };

        // (anchor, positive) with MNRL, under keys chosen by flags; evaluated by retrieval.
        var mnrlData = Path.Combine(folder, "mnrl.jsonl");
        WriteJsonl(mnrlData, anchors.Select((a, i) => (object)new { anchor = a, positive = positives[i] }));
        var mnrl = Path.Combine(folder, "mnrl");
        var trained = Json(CliProcess.Run(["train", "--data", mnrlData, "--text-column", "anchor", "--pair-column", "positive", "--output", mnrl, .. common]));
        Assert.AreEqual("mnrl", trained.GetProperty("config").GetProperty("loss").GetString());
        Assert.AreEqual(2, trained.GetProperty("steps").GetInt32(), "8 pairs, batch 4, 1 epoch");
        foreach (var file in new[] { "model.zip", "metrics.csv", "loss.png", "README.md", "config.json" }) Assert.IsTrue(File.Exists(Path.Combine(mnrl, file)), file);
        var retrieval = Json(CliProcess.Run("evaluate", "--model", Path.Combine(mnrl, "model.zip"), "--data", mnrlData, "--text-column", "anchor", "--pair-column", "positive", "--json"));
        Assert.AreEqual("embeddings", retrieval.GetProperty("task").GetString());
        var r = retrieval.GetProperty("metrics");
        Assert.AreEqual(8, r.GetProperty("candidates").GetDouble());
        Assert.IsTrue(r.GetProperty("mrr_at_10").GetDouble() >= r.GetProperty("accuracy_at_1").GetDouble() && r.GetProperty("mrr_at_10").GetDouble() <= 1, r.ToString());
        Assert.AreEqual(8 - (int)Math.Round(8 * r.GetProperty("accuracy_at_1").GetDouble()), retrieval.GetProperty("errors").GetInt32(), "an error per anchor not ranked first");
        var embedded = Lines(CliProcess.Run(["predict", "--model", Path.Combine(mnrl, "model.zip")], stdin: "{\"text\": \"hello world\"}\n"));
        Assert.AreEqual(32, embedded[0].GetProperty("Embedding").GetArrayLength(), "the tiny model's hidden size");

        // (a, b, score) with CoSENT: Spearman of cosine and score, checked against predict's similarities.
        var scoredData = Path.Combine(folder, "scored.jsonl");
        WriteJsonl(scoredData, anchors.Select((a, i) => (object)new { text = a, text_pair = positives[(i + i % 3) % 8], label = 0.1 * i }));
        var scored = Path.Combine(folder, "cosent");
        Json(CliProcess.Run(["train", "--data", scoredData, "--loss", "cosent", "--output", scored, .. common]));
        var correlation = Json(CliProcess.Run("evaluate", "--model", Path.Combine(scored, "model.zip"), "--data", scoredData, "--json")).GetProperty("metrics");
        var similarities = Lines(CliProcess.Run("predict", "--model", Path.Combine(scored, "model.zip"), scoredData)).Select(l => l.GetProperty("similarity").GetDouble()).ToArray();
        Assert.AreEqual(8, similarities.Length);
        Assert.IsTrue(similarities.All(s => s is >= -1.0001 and <= 1.0001));
        Assert.AreEqual(Spearman(similarities, Enumerable.Range(0, 8).Select(i => 0.1 * i).ToArray()), correlation.GetProperty("spearman").GetDouble(), 1e-4);

        // (a, b, 0/1 label) with the contrastive loss: best-threshold accuracy, checked against predict's similarities.
        var labelledData = Path.Combine(folder, "labelled.jsonl");
        var labels = Enumerable.Range(0, 8).Select(i => i % 2).ToArray();
        WriteJsonl(labelledData, anchors.Select((a, i) => (object)new { text = a, text_pair = labels[i] == 1 ? positives[i] : positives[(i + 4) % 8], label = labels[i] }));
        var contrastive = Path.Combine(folder, "contrastive");
        Json(CliProcess.Run(["train", "--data", labelledData, "--loss", "contrastive", "--output", contrastive, .. common]));
        var binary = Json(CliProcess.Run("evaluate", "--model", Path.Combine(contrastive, "model.zip"), "--data", labelledData, "--json")).GetProperty("metrics");
        var cosines = Lines(CliProcess.Run("predict", "--model", Path.Combine(contrastive, "model.zip"), labelledData)).Select(l => l.GetProperty("similarity").GetDouble()).ToArray();
        double best = cosines.Select(t => Enumerable.Range(0, 8).Count(i => (cosines[i] >= t) == (labels[i] == 1)) / 8.0).Append(0.5).Max();
        Assert.AreEqual(best, binary.GetProperty("accuracy").GetDouble(), 1e-9);
        Assert.IsTrue(binary.GetProperty("f1").GetDouble() is > 0 and <= 1, binary.ToString());

        File.WriteAllLines(Path.Combine(folder, "bad.jsonl"), ["{\"text\": \"a\", \"text_pair\": \"b\", \"label\": 1}", "{\"text\": \"c\", \"text_pair\": \"d\", \"label\": 0.5}"]);
        var bad = CliProcess.Run(["train", "--data", Path.Combine(folder, "bad.jsonl"), "--loss", "contrastive", "--output", Path.Combine(folder, "bad"), .. common]);
        Assert.AreEqual(2, bad.ExitCode, bad.ToString());
        StringAssert.Contains(bad.Stderr, "bad.jsonl:2: label: invalid_value: '0.5'; the contrastive loss takes 0/1");
        var builtin = CliProcess.Run("train", "--data", mnrlData, "--task", "setfit", "--model", "builtin", "--output", Path.Combine(folder, "x"));
        Assert.AreEqual(2, builtin.ExitCode, builtin.ToString());
        StringAssert.Contains(builtin.Stderr, "--model builtin has no pretraining");
    }

    [TestMethod]
    public void SetFitAndEmbeddingRunsResumeAfterAnInterruptionToTheSameModel()
    {
        var folder = TrainCliFixture.NewFolder("resume-embeddings");
        var model = Tiny(folder);
        var labelled = Path.Combine(folder, "labelled.jsonl");
        WriteJsonl(labelled, Enumerable.Range(0, 8).Select(i => (object)new { text = i % 2 == 0 ? $"hello world {Words[i]}" : $"new york {Words[i]}", label = i % 2 == 0 ? "greeting" : "city" }));
        var pairs = Path.Combine(folder, "pairs.jsonl");
        WriteJsonl(pairs, Enumerable.Range(0, 8).Select(i => (object)new { text = $"{Words[i]} hello", text_pair = $"{Words[i]} world" }));
        var common = new[] { "--model", model, "--learning-rate", "1e-3", "--max-length", "16" };
        // setfit: 32 pairs in batches of 4 (8 steps); embeddings: 8 pairs in batches of 2 (4 steps).
        foreach (var (name, args, steps) in new[]
        {
            ("setfit", new[] { "--task", "setfit", "--data", labelled, "--setfit-iterations", "2", "--batch-size", "4" }, 8),
            ("embeddings", new[] { "--task", "embeddings", "--data", pairs, "--batch-size", "2" }, 4),
        })
        {
            var whole = Path.Combine(folder, name + "-whole");
            Assert.AreEqual(steps, Json(CliProcess.Run(["train", .. args, .. common, "--output", whole, "--json"])).GetProperty("steps").GetInt32(), name);
            var run = Path.Combine(folder, name + "-run");
            var stopped = TrainCliFixture.Run(["train", .. args, .. common, "--output", run], new Dictionary<string, string> { ["MLNET_FINETUNE_CANCEL_AFTER_STEPS"] = "2" });
            Assert.AreEqual(2, stopped.ExitCode, stopped.ToString());
            StringAssert.Contains(stopped.Stderr, $"Resume with: mlnet-finetune train --resume {run}", stopped.ToString());
            Assert.IsTrue(Directory.Exists(Path.Combine(run, "checkpoints", "checkpoint-2")), stopped.ToString());
            Assert.IsFalse(File.Exists(Path.Combine(run, "model.zip")));
            var resumed = Json(CliProcess.Run("train", "--resume", run, "--json"));
            Assert.AreEqual(2, resumed.GetProperty("resumed_from_step").GetInt32(), name);
            Assert.AreEqual(steps, resumed.GetProperty("steps").GetInt32(), name);
            CollectionAssert.AreEqual(TrainCliFixture.Weights(Path.Combine(whole, "model.zip")), TrainCliFixture.Weights(Path.Combine(run, "model.zip")), name);
            // step, train_loss, learning_rate: the resumed run's rows are the uninterrupted run's (steps before the interruption from the checkpoint).
            static string[] Csv(string dir) => File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Skip(1).Select(l => { var c = l.Split(','); return $"{c[0]},{c[2]},{c[3]}"; }).ToArray();
            var (wholeRows, runRows) = (Csv(whole), Csv(run));
            CollectionAssert.AreEqual(wholeRows, runRows, name);
            Assert.IsFalse(Directory.Exists(Path.Combine(run, "checkpoints")), "a finished run removes its checkpoints");
        }
    }

    static double Spearman(double[] x, double[] y)
    {
        static double[] Ranks(double[] v) { var r = new double[v.Length]; var order = Enumerable.Range(0, v.Length).OrderBy(i => v[i]).ToArray(); for (int k = 0; k < order.Length; k++) r[order[k]] = k; return r; }
        var (rx, ry) = (Ranks(x), Ranks(y));
        double mx = rx.Average(), my = ry.Average();
        return rx.Zip(ry).Sum(p => (p.First - mx) * (p.Second - my)) / Math.Sqrt(rx.Sum(a => (a - mx) * (a - mx)) * ry.Sum(b => (b - my) * (b - my)));
    }
}
