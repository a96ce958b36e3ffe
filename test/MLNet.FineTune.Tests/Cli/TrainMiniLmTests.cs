using System.Text.Json;

namespace MLNet.FineTune.Tests.Cli;

[TestClass]
public sealed class TrainMiniLmTests : CliTest
{
    /// <summary>The real pretrained path end to end: MiniLM from its package, neighbour augmentation in its embedding space, LoRA, then evaluate the zip.</summary>
    [TestMethod]
    [TestCategory("Integration")]
    public void MiniLmWithLoraTrainsAndEvaluates()
    {
        var folder = TrainCliFixture.NewFolder("minilm");
        TrainCliFixture.WriteSentiment(folder, "train.jsonl", 16);
        var dev = TrainCliFixture.WriteSentiment(folder, "dev.jsonl", 8, offset: 1);
        var output = Path.Combine(folder, "run");
        var train = CliProcess.Run("train", "--data", Path.Combine(folder, "train.jsonl"), "--model", "minilm", "--peft", "lora", "--epochs", "1", "--augment", "neighbours",
            "--max-length", "16", "--output", output, "--json");
        if (train.ExitCode != 0 && train.Stderr.Contains("SentenceTransformers", StringComparison.Ordinal))
            Assert.Inconclusive("The MiniLM package is not available: " + train.Stderr);
        Assert.AreEqual(0, train.ExitCode, train.ToString());
        var json = JsonDocument.Parse(train.Stdout).RootElement;
        Assert.AreEqual(32, json.GetProperty("training_rows").GetInt32(), "16 rows and a copy of each with nearest-neighbour substitutions");
        Assert.AreEqual(4, json.GetProperty("steps").GetInt32());
        Assert.AreEqual("minilm", json.GetProperty("config").GetProperty("model").GetString());
        StringAssert.Contains(File.ReadAllText(Path.Combine(output, "README.md")), "sentence-transformers/all-MiniLM-L6-v2");
        var adapter = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "adapter", "adapter_config.json"))).RootElement;
        Assert.AreEqual("sentence-transformers/all-MiniLM-L6-v2", adapter.GetProperty("base_model_name_or_path").GetString());

        var evaluate = CliProcess.Run("evaluate", "--model", Path.Combine(output, "model.zip"), "--data", dev, "--json");
        Assert.AreEqual(0, evaluate.ExitCode, evaluate.ToString());
        Assert.AreEqual(8, JsonDocument.Parse(evaluate.Stdout).RootElement.GetProperty("rows").GetInt32());
    }
}
