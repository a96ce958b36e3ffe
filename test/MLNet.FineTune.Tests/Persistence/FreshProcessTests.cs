using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tests.Persistence;

/// <summary>
/// Saves in this process, then loads and scores in a new `dotnet` process (test/MLNet.FineTune.FreshProcess) that
/// makes no registration call: proves ML.NET finds our loader from the model file alone.
/// </summary>
[TestClass]
public class FreshProcessTests
{
    [TestMethod]
    [TestCategory("Integration")]
    [Timeout(300_000, CooperativeCancellation = true)]
    public void ModelSavedHereScoresIdenticallyInFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ScalePipeline.Rows());
        var model = ScalePipeline.Fit(ml, data);
        var expected = ScalePipeline.Outputs(model.Transform(data));
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-fresh-{Guid.NewGuid():N}.zip");
        ml.Model.SaveAtomic(model, data.Schema, path);
        try
        {
            var (exit, stdout, stderr) = Run("dotnet", $"\"{HelperDll()}\" \"{path}\"");
            Assert.AreEqual(0, exit, $"helper failed:\n{stderr}");
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.AreEqual(expected.Length, lines.Length, stdout);
            for (int i = 0; i < lines.Length; i++)
                CollectionAssert.AreEqual(expected[i], lines[i].Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray(), $"row {i}");
            StringAssert.Contains(stderr, "ScaleTransformer");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Loading a FineTune zip needs no temp folder. The fresh process runs with TMPDIR pointing at a folder that does not
    /// exist and scores exactly as this process does, through ML.NET's Model.Load (our loader reads tokenizer, config and
    /// weights from memory; ML.NET itself still copies zip entries to temp files, creating the folder) and through
    /// LoadInMemory, after which the folder still does not exist: nothing was written anywhere.
    /// </summary>
    [TestMethod]
    [TestCategory("Integration")]
    [Timeout(300_000, CooperativeCancellation = true)]
    public void FineTuneModelLoadsAndScoresWithoutATempFolder()
    {
        var ml = new MLContext(seed: 1);
        var rows = MLNet.FineTune.Samples.SyntheticSentiment.Generate(48, seed: 4);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.FineTune(MLNet.FineTune.Tests.FineTune.FineTunePersistenceTests.Quick).Fit(data);
        string[] texts = ["a wonderful and moving film", "the plot was dull and the acting weak", "not bad at all"];
        var expected = ml.Data.CreateEnumerable<Scored>(model.Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new MLNet.FineTune.Samples.SentimentRow { Text = t }))), false)
            .Select(s => s.Probability.ToString("R", CultureInfo.InvariantCulture) + " " + s.PredictedLabel).ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-notemp-{Guid.NewGuid():N}.zip");
        ml.Model.SaveAtomic(model, data.Schema, path);
        try
        {
            foreach (var mode in new[] { "text", "text-inmemory" })
            {
                var missingTemp = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "tmp");
                // The runtime's diagnostic IPC files would otherwise go to TMPDIR too.
                var (exit, stdout, stderr) = Run("dotnet", $"\"{HelperDll()}\" {mode} \"{path}\" " + string.Join(' ', texts.Select(t => $"\"{t}\"")),
                    new() { ["TMPDIR"] = missingTemp, ["DOTNET_EnableDiagnostics"] = "0" });
                try
                {
                    Assert.AreEqual(0, exit, $"{mode}: helper failed with TMPDIR={missingTemp}:\n{stderr}");
                    CollectionAssert.AreEqual(expected, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), $"{mode}: {stdout}");
                    if (mode == "text-inmemory") Assert.IsFalse(Directory.Exists(Path.GetDirectoryName(missingTemp)), "LoadInMemory may create no temp folder");
                }
                finally { if (Directory.Exists(Path.GetDirectoryName(missingTemp))) Directory.Delete(Path.GetDirectoryName(missingTemp)!, true); }
            }
        }
        finally { File.Delete(path); }
    }

    sealed class Scored
    {
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    /// <summary>
    /// The helper's build output next to this test's (same configuration). Rebuilt when missing or when its copies of
    /// this assembly or MLNet.FineTune differ from the ones running here; references are not rebuilt, so the
    /// running test binaries are never overwritten. Known limit: if `dotnet test MLNet.FineTune.sln` is still building
    /// the helper when this test starts, both builds write the helper's bin/obj at once (build the solution first).
    /// </summary>
    internal static string HelperDll()
    {
        var testDir = AppContext.BaseDirectory.TrimEnd('/');            // .../test/MLNet.FineTune.Tests/bin/<Config>/<tfm>
        var tfm = Path.GetFileName(testDir);
        var config = Path.GetFileName(Path.GetDirectoryName(testDir)!);
        var testRoot = Path.GetFullPath(Path.Combine(testDir, "../../../.."));
        var project = Path.Combine(testRoot, "MLNet.FineTune.FreshProcess", "MLNet.FineTune.FreshProcess.csproj");
        var helperDir = Path.Combine(testRoot, "MLNet.FineTune.FreshProcess", "bin", config, tfm);
        var dll = Path.Combine(helperDir, "MLNet.FineTune.FreshProcess.dll");
        bool stale = !File.Exists(dll) || new[] { "MLNet.FineTune.Tests.dll", "MLNet.FineTune.dll" }.Any(name =>
            !File.Exists(Path.Combine(helperDir, name))
            || !File.ReadAllBytes(Path.Combine(helperDir, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(testDir, name))));
        if (stale)
        {
            var (exit, stdout, stderr) = Run("dotnet", $"build \"{project}\" -c {config} -p:BuildProjectReferences=false -nologo -v q");
            Assert.AreEqual(0, exit, $"building the fresh-process helper failed:\n{stdout}\n{stderr}");
        }
        return dll;
    }

    static (int Exit, string Stdout, string Stderr) Run(string file, string arguments, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in environment ?? []) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}
