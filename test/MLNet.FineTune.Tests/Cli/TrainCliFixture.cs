using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace MLNet.FineTune.Tests.Cli;

/// <summary>
/// Tiny data written by the tests, one model trained by the tool once per test run (shared by the train, evaluate and export
/// tests), and a process runner that can set environment variables and send SIGINT.
/// </summary>
internal static class TrainCliFixture
{
    static readonly string[] Positive = ["good", "great", "lovely", "superb", "fine", "nice"], Negative = ["bad", "awful", "poor", "dull", "terrible", "weak"];

    /// <summary>A folder for the running test (removed after it passes: <see cref="CliTestFolders"/>).</summary>
    public static string NewFolder(string name) => CliTestFolders.New(name);

    /// <summary>Sentiment rows "the film was good" / "bad": pos and neg alternating.</summary>
    public static string WriteSentiment(string folder, string name, int rows, int offset = 0)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllLines(path, Enumerable.Range(offset, rows).Select(i =>
        {
            bool pos = i % 2 == 0;
            var word = (pos ? Positive : Negative)[i / 2 % 6];
            return JsonSerializer.Serialize(new { text = $"the film was {word} {(i % 3 == 0 ? "really" : "")}".Trim(), label = pos ? "pos" : "neg" });
        }));
        return path;
    }

    /// <summary>The training arguments of the shared run (builtin model, 16 rows, 2 epochs of batch 8: 4 steps).</summary>
    public static string[] TrainArgs(string folder, string output) =>
        ["train", "--data", Path.Combine(folder, "train.jsonl"), "--validation", Path.Combine(folder, "dev.jsonl"), "--epochs", "2", "--output", output, "--json"];

    static readonly Lazy<(string Folder, string Output, JsonElement Json)> shared = new(() =>
    {
        var folder = CliTestFolders.Shared("shared");
        WriteSentiment(folder, "train.jsonl", 16);
        WriteSentiment(folder, "dev.jsonl", 8, offset: 1);
        var output = Path.Combine(folder, "run");
        var result = CliProcess.Run(TrainArgs(folder, output));
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        return (folder, output, JsonDocument.Parse(result.Stdout).RootElement.Clone());
    });

    /// <summary>The shared run: its data folder (train.jsonl, dev.jsonl), its output folder and its --json document.</summary>
    public static (string Folder, string Output, JsonElement Json) Shared => shared.Value;

    /// <summary>The saved weights (safetensors entry) of a model zip: equal bytes = the same model.</summary>
    public static byte[] Weights(string modelZip)
    {
        using var zip = ZipFile.OpenRead(modelZip);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith("weights/model.safetensors", StringComparison.Ordinal));
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static bool IsPng(string path) => File.Exists(path) && File.ReadAllBytes(path).Take(8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    const int SigInt = 2;

    /// <summary>Whether this process ignores SIGINT (started in the background by a non-interactive shell): the tool would inherit it.</summary>
    public static bool SigIntIgnored()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (SigInt - 1))) != 0;
    }

    /// <summary>Runs the tool with extra environment variables; with <paramref name="interruptAfterLine"/>, sends SIGINT once a stdout line starts with it.</summary>
    public static CliResult Run(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? interruptAfterLine = null, int timeoutSeconds = 300)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
        start.ArgumentList.Add(CliProcess.ToolDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = new System.Text.StringBuilder();
        bool sent = false;
        var reading = Task.Run(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                lock (stdout) stdout.AppendLine(line);
                if (!sent && interruptAfterLine is not null && line.StartsWith(interruptAfterLine, StringComparison.Ordinal))
                {
                    sent = true;
                    Assert.AreEqual(0, kill(process.Id, SigInt), "kill(SIGINT) failed");
                }
            }
        });
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mlnet-finetune {string.Join(' ', args)} did not finish within {timeoutSeconds} s.");
        }
        reading.Wait();
        return new CliResult(process.ExitCode, stdout.ToString(), stderr.Result);
    }
}
