using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Data;
using MLNet.FineTune.Samples;

namespace MLNet.FineTune.Tests.FineTune;

/// <summary>Drives samples/SentimentScorer for real: a separate process loads a zip saved here and scores stdin lines.</summary>
[TestClass]
[DoNotParallelize]
public class ScorerSampleTests
{
    [TestMethod]
    public void ScorerSampleLoadsTheZipAndScoresLikeTheTrainingProcess()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(64, seed: 21);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick).Fit(data);
        var expected = model.Transform(data).GetColumn<float>("Probability").Take(5).ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var start = new ProcessStartInfo("dotnet", $"\"{SampleDll()}\" \"{path}\"") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            foreach (var row in rows.Take(5)) process.StandardInput.WriteLine(row.Text);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            process.WaitForExit();
            Assert.AreEqual(0, process.ExitCode, process.StandardError.ReadToEnd());
            Assert.AreEqual(5, output.Length);
            for (int i = 0; i < 5; i++)
            {
                var fields = output[i].Split('\t');
                Assert.AreEqual(rows[i].Text, fields[2]);
                Assert.AreEqual(expected[i], float.Parse(fields[1], CultureInfo.InvariantCulture), 1e-5, $"line {i}");
            }
        }
        finally { File.Delete(path); }
    }

    static string SampleDll()
    {
        var testDir = AppContext.BaseDirectory.TrimEnd('/');            // .../test/MLNet.FineTune.Tests/bin/<Config>/<tfm>
        var tfm = Path.GetFileName(testDir);
        var config = Path.GetFileName(Path.GetDirectoryName(testDir)!);
        var repo = Path.GetFullPath(Path.Combine(testDir, "../../../../.."));
        var project = Path.Combine(repo, "samples", "SentimentScorer", "SentimentScorer.csproj");
        var dll = Path.Combine(repo, "samples", "SentimentScorer", "bin", config, tfm, "SentimentScorer.dll");
        if (!File.Exists(dll))
        {
            using var build = Process.Start(new ProcessStartInfo("dotnet", $"build \"{project}\" -c {config} -nologo -v q") { RedirectStandardOutput = true })!;
            var log = build.StandardOutput.ReadToEnd();
            build.WaitForExit();
            Assert.AreEqual(0, build.ExitCode, log);
        }
        return dll;
    }
}
