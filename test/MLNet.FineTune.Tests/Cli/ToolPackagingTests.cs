using System.Diagnostics;
using System.Text.Json;

namespace MLNet.FineTune.Tests.Cli;

/// <summary>
/// The tool as users get it: <c>dotnet pack</c> the CLI project into a folder, <c>dotnet tool install --tool-path</c>
/// from that folder as the only package source, and run the installed <c>mlnet-finetune</c> from another folder.
/// The package bundles the libraries it references (a tool package carries its whole publish output, including the
/// GLIBCXX-patched libLibTorchSharp.so), so neither the library nor its natives need a feed of their own.
/// Slow (the package holds libtorch, ~320 MB), hence Integration.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public sealed class ToolPackagingTests
{
    [TestMethod]
    public void PackedToolInstallsFromALocalSourceAndRunsFromAnotherFolder()
    {
        var repo = RepositoryRoot() ?? throw new AssertInconclusiveException("the repository (MLNet.FineTune.sln) is not above the test folder");
        var work = Directory.CreateTempSubdirectory("mlnet-tool-").FullName;
        try
        {
            var feed = Path.Combine(work, "feed");
            var tools = Path.Combine(work, "tools");
            var elsewhere = Directory.CreateDirectory(Path.Combine(work, "elsewhere")).FullName;
            // --no-build: the test build already built the tool (Release, referenced by this project).
            Run("dotnet", ["pack", Path.Combine(repo, "src", "MLNet.FineTune.Cli"), "-c", "Release", "--no-build", "-o", feed], repo, 900);
            Assert.IsTrue(File.Exists(Path.Combine(feed, "MLNet.FineTune.Cli.0.1.0.nupkg")), string.Join(", ", Directory.GetFiles(feed)));
            // Installed from elsewhere so that the repository's NuGet.config is not in play; the package has no dependencies to fetch.
            Run("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", feed, "--ignore-failed-sources", "MLNet.FineTune.Cli"], elsewhere, 300);

            var exe = Path.Combine(tools, OperatingSystem.IsWindows() ? "mlnet-finetune.exe" : "mlnet-finetune");
            var help = Run(exe, ["--help"], elsewhere, 120);
            foreach (var command in new[] { "validate", "train", "evaluate", "predict", "export", "env" }) StringAssert.Contains(help, command);

            // The natives travelled with it: TorchSharp loads and its library is patched (or the system needs no patch).
            using var env = JsonDocument.Parse(Run(exe, ["env", "--json"], elsewhere, 120));
            Assert.IsTrue(env.RootElement.GetProperty("torch").GetProperty("loaded").GetBoolean(), env.RootElement.ToString());
            if (OperatingSystem.IsLinux())
                CollectionAssert.Contains(new[] { "patched", "not_needed" }, env.RootElement.GetProperty("glibcxx").GetProperty("status").GetString());
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MLNet.FineTune.sln"))) return dir.FullName;
        return null;
    }

    static string Run(string file, string[] args, string workingDirectory, int timeoutSeconds)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {timeoutSeconds} s.");
        }
        Assert.AreEqual(0, process.ExitCode, $"{file} {string.Join(' ', args)}\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }
}
