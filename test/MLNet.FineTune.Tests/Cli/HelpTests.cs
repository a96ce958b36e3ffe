namespace MLNet.FineTune.Tests.Cli;

[TestClass]
public sealed class HelpTests
{
    [TestMethod]
    public void HelpListsEveryCommandAndExitsZero()
    {
        var result = CliProcess.Run("--help");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        foreach (var command in new[] { "validate", "train", "evaluate", "predict", "export", "env" })
            StringAssert.Contains(result.Stdout, command, result.ToString());
    }

    [TestMethod]
    public void TrainHelpDescribesEveryTaskAndItsFlags()
    {
        var result = CliProcess.Run("train", "--help");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        foreach (var text in new[] { "multi-task", "setfit", "embeddings", "--heads", "--task-sampling", "--adapter-per-task", "--freeze-word-embeddings", "--loss", "--setfit-iterations", "--setfit-head", "cosent", "docs/cli-tasks.md", "completions", "--chat-template", "--packing", "--max-new-tokens" })
            StringAssert.Contains(result.Stdout, text, result.ToString());
    }

    [TestMethod]
    public void AnUnknownCommandIsAnErrorWithExitCodeTwo()
    {
        var result = CliProcess.Run("trian");
        Assert.AreEqual(2, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stdout + result.Stderr, "trian", result.ToString());
    }

    [TestMethod]
    public void PredictHelpNamesTheGenerationFlags()
    {
        var result = CliProcess.Run("predict", "--help");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        foreach (var text in new[] { "--max-new-tokens", "--temperature", "--top-p", "--top-k", "--seed", "messages" })
            StringAssert.Contains(result.Stdout, text, result.ToString());
    }

    [TestMethod]
    public void EveryCommandWritesAJsonErrorDocumentWithJson()
    {
        foreach (var args in new string[][] { ["train", "--json"], ["evaluate", "--json"], ["export", "--json"], ["predict", "--json"], ["validate", "/no/such.jsonl", "--json"] })
        {
            var result = CliProcess.Run(args);
            Assert.AreEqual(2, result.ExitCode, result.ToString());
            using var document = System.Text.Json.JsonDocument.Parse(result.Stdout);
            Assert.AreEqual(2, document.RootElement.GetProperty("exitCode").GetInt32(), result.ToString());
            StringAssert.StartsWith(result.Stderr.Trim(), "error: ", result.ToString());
        }
    }
}
