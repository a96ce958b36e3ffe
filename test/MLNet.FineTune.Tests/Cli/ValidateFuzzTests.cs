using MLNet.FineTune.Cli.DataFiles;
using System.Text;
using System.Text.Json;
using MLNet.FineTune.Cli.Validation;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Tests.Cli;

/// <summary>
/// Malformed input never crashes <c>validate</c>: random bytes, truncated lines, a line over the cap, invalid UTF-8,
/// NUL bytes and absurd nesting give exit 2 with errors (or 0/1 when the noise happens to parse), a JSON document on
/// stdout and no "unexpected" exception line.
/// </summary>
[TestClass]
public sealed class ValidateFuzzTests
{
    const string Chat = """{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello.","weight":1}]}""";

    [TestMethod]
    public void EveryLayoutReaderSurvivesRandomInputInProcess()
    {
        var random = new Random(1515);
        var columns = new DataColumns();
        foreach (var layout in Enum.GetValues<DataFileFormat>())
            for (int i = 0; i < 150; i++)
            {
                var bytes = Noise(random, i);
                var entries = DataFile.Entries(new MemoryStream(bytes), "fuzz", layout, columns, maxLineBytes: 2048).ToList();
                foreach (var e in entries)
                {
                    Assert.AreNotEqual(e.Example is null, e.Issue is null, $"{layout} #{i}: an entry is either an example or an issue");
                    if (e.Issue is { } issue) Assert.IsTrue(issue.Line >= 1 && issue.Message.Length > 0, issue.ToString());
                }
            }
    }

    const string Sprinkles = "a\",\t\n{}[]:";

    static byte[] Noise(Random random, int i)
    {
        var bytes = new byte[random.Next(0, 4000)];
        random.NextBytes(bytes);
        return (i % 4) switch
        {
            0 => bytes,
            // a valid line cut at a random point, then more noise: truncated lines
            1 => Encoding.UTF8.GetBytes(Chat + "\n" + Chat[..random.Next(Chat.Length)] + "\n").Concat(bytes.Take(50)).ToArray(),
            // mostly text with random bytes sprinkled in (invalid UTF-8, NULs, stray quotes and separators)
            2 => Encoding.UTF8.GetBytes("text,label\n\"a,b\",1\n" + Chat + "\n").Concat(bytes.Select(b => b < 200 ? (byte)Sprinkles[b % Sprinkles.Length] : b)).ToArray(),
            _ => Encoding.UTF8.GetBytes(new string('[', random.Next(1, 5000))),
        };
    }

    [TestMethod]
    public void TheToolNeverCrashesOnMalformedFiles()
    {
        var dir = Directory.CreateTempSubdirectory("mlnet-validate-fuzz-").FullName;
        try
        {
            var random = new Random(15);
            byte[] Random(int n) { var b = new byte[n]; random.NextBytes(b); return b; }
            var files = new Dictionary<string, byte[]>
            {
                ["random.jsonl"] = Random(20_000),
                ["random.csv"] = Random(20_000),
                ["random.tsv"] = Random(20_000),
                ["random.conll"] = Random(20_000),
                ["truncated.jsonl"] = Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(1, 40).Select(n => Chat[..(n * Chat.Length / 41)]))),
                // one line over the 8 MiB cap, then a valid one: reported as too long without being held in memory
                ["huge_line.jsonl"] = Encoding.UTF8.GetBytes("{\"text\":\"" + new string('x', 9 << 20) + "\",\"label\":\"a\"}\n{\"text\":\"ok\",\"label\":\"a\"}\n"),
                ["huge_unterminated_quote.csv"] = Encoding.UTF8.GetBytes("text,label\n\"" + string.Concat(Enumerable.Repeat("line without a closing quote\n", 400_000))),
                ["invalid_utf8.jsonl"] = Enumerable.Range(0, 30).SelectMany(i => Encoding.UTF8.GetBytes("{\"text\":\"").Concat(Random(8)).Concat(Encoding.UTF8.GetBytes("\",\"label\":1}\n"))).ToArray(),
                ["nul_bytes.jsonl"] = new byte[5000],
                ["deep_nesting.jsonl"] = Encoding.UTF8.GetBytes(new string('[', 100_000) + "\n" + new string('{', 1000)),
            };
            foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(dir, name), bytes);
            var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
            Parallel.ForEach(files.Keys, new ParallelOptions { MaxDegreeOfParallelism = 4 }, name =>
            {
                var result = CliProcess.Run(["validate", name, "--json"], workingDirectory: dir);
                var problem = result.ExitCode is < 0 or > 2 ? "exit code outside 0..2"
                    : result.Stderr.Contains("unexpected", StringComparison.Ordinal) ? "an unhandled exception"
                    : Document(result.Stdout) is not { } json ? "stdout is not one JSON document"
                    : result.ExitCode == 2 && json.GetProperty("errorCount").GetInt32() == 0 ? "exit 2 without errors"
                    : null;
                if (problem is not null) failures.Add($"{name}: {problem}\n{Shorten(result.ToString())}");
            });
            Assert.IsEmpty(failures, string.Join("\n\n", failures));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    static JsonElement? Document(string text)
    {
        try { return JsonDocument.Parse(text).RootElement.Clone(); }
        catch (JsonException) { return null; }
    }

    static string Shorten(string s) => s.Length < 3000 ? s : s[..3000] + "…";
}
