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
        foreach (var text in new[] { "multi-task", "setfit", "embeddings", "--heads", "--task-sampling", "--adapter-per-task", "--loss", "--setfit-iterations", "--setfit-head", "cosent", "docs/cli-tasks.md" })
            StringAssert.Contains(result.Stdout, text, result.ToString());
    }

    [TestMethod]
    public void AnUnknownCommandIsAnErrorWithExitCodeTwo()
    {
        var result = CliProcess.Run("trian");
        Assert.AreEqual(2, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stdout + result.Stderr, "trian", result.ToString());
    }
}
