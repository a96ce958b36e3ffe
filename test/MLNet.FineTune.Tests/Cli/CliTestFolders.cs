namespace MLNet.FineTune.Tests.Cli;

/// <summary>
/// The Cli tests' folders, all under <c>/tmp/mlnet-finetune-cli-tests/&lt;process id&gt;/</c>: a test's own folders are
/// removed when it passes (kept, and named in the test's output, when it fails, to be looked at); the folders shared by
/// several tests (the fixture's trained model) and the process's folder go when the run ends. A passing run leaves nothing.
/// </summary>
[TestClass]
public sealed class CliTestFolders
{
    static readonly string Root = Path.Combine(Path.GetTempPath(), "mlnet-finetune-cli-tests", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    static readonly List<string> ofThisTest = [];
    static bool anyKept;

    /// <summary>A new folder for the running test, removed after it passes.</summary>
    public static string New(string name)
    {
        var dir = Shared(name);
        lock (ofThisTest) ofThisTest.Add(dir);
        return dir;
    }

    /// <summary>A new folder used by several tests, removed at the end of the run.</summary>
    public static string Shared(string name)
    {
        var dir = Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Called after each test (<see cref="CliTest"/>): removes its folders if it passed.</summary>
    public static void EndTest(TestContext context)
    {
        string[] folders;
        lock (ofThisTest) { folders = [.. ofThisTest]; ofThisTest.Clear(); }
        if (context.CurrentTestOutcome != UnitTestOutcome.Passed)
        {
            anyKept |= folders.Length > 0;
            foreach (var f in folders) context.WriteLine($"kept for inspection: {f}");
            return;
        }
        foreach (var f in folders) Delete(f);
    }

    [AssemblyCleanup]
    public static void EndRun()
    {
        if (!anyKept) Delete(Root);
        // The parent goes too once no run (of this or another test process) has anything left in it.
        var parent = Path.GetDirectoryName(Root)!;
        if (Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any()) Delete(parent);
    }

    static void Delete(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (IOException) { } // a tool process still closing a file: the next run's parent check retries
    }
}

/// <summary>Base of the Cli test classes that write folders: removes a test's folders after it passes.</summary>
public abstract class CliTest
{
    public TestContext TestContext { get; set; } = null!;

    [TestCleanup]
    public void RemoveFolders() => CliTestFolders.EndTest(TestContext);

    /// <summary>The one JSON document a successful <c>--json</c> command prints.</summary>
    private protected static System.Text.Json.JsonElement Json(CliResult result)
    {
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        return System.Text.Json.JsonDocument.Parse(result.Stdout).RootElement;
    }

    /// <summary>The JSON lines a successful command prints (predict's output).</summary>
    private protected static List<System.Text.Json.JsonElement> Lines(CliResult result)
    {
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
    }
}
