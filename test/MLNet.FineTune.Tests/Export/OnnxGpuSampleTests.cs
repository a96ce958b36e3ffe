using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Onnx;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.FineTune;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// samples/OnnxGpuScoring built for real (it is outside the solution: the CUDA build of ONNX Runtime is a 245 MB package)
/// and run on an exported model: the package lines of <see cref="OnnxGpu.AppProjectLines"/> must put ONNX Runtime's CUDA
/// build in bin/, so that asking for CUDA either works (a GPU machine) or fails for want of CUDA's libraries, never
/// because the CPU build won; and the sample's scores must be the CPU scorer's.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class OnnxGpuSampleTests
{
    [TestMethod]
    public void TheGpuSampleGetsTheCudaBuildAndScoresLikeTheCpuScorer()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(48, seed: 5);
        var model = ml.Transforms.FineTune(FineTunePersistenceTests.Quick).Fit(ml.Data.LoadFromEnumerable(rows));
        var texts = rows.Take(6).Select(r => r.Text).ToList();
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-gpu-{Guid.NewGuid():N}.onnx");
        try
        {
            model.ExportOnnx(path);
            float[] expected;
            using (var cpu = ml.Model.LoadFineTuneOnnx(path))
                expected = cpu.Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }))).GetColumn<float>("Probability").ToArray();

            var (dll, bin) = BuildSample();
            Assert.IsTrue(File.Exists(Path.Combine(bin, "runtimes", "linux-x64", "native", "libonnxruntime_providers_cuda.so")), "the CUDA provider library is not in the sample's bin/");
            var start = new ProcessStartInfo("dotnet", $"\"{dll}\" \"{path}\"") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            foreach (var text in texts) process.StandardInput.WriteLine(text);
            process.StandardInput.Close();
            var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            process.WaitForExit();
            Assert.AreEqual(0, process.ExitCode, stderr.Result);

            bool onGpu = lines[0] == "device: cuda";
            if (!onGpu)
            {
                // Without a GPU the CUDA build fails while loading CUDA's libraries: that proves it, not the CPU build, was loaded.
                StringAssert.StartsWith(lines[0], "device: cpu (ONNX Runtime's CUDA execution provider could not be loaded");
                StringAssert.Contains(lines[0], "CUDA 13");
            }
            Assert.HasCount(texts.Count + 1, lines);
            for (int i = 0; i < texts.Count; i++)
            {
                var fields = lines[i + 1].Split('\t');
                Assert.AreEqual(texts[i], fields[2]);
                Assert.AreEqual(expected[i], float.Parse(fields[1], CultureInfo.InvariantCulture), onGpu ? 1e-4 : 1e-6, $"text {i} ({lines[0]})");
            }
        }
        finally { File.Delete(path); }
    }

    sealed class TextRow { public string Text { get; set; } = ""; }

    /// <summary>Builds samples/OnnxGpuScoring in the test's configuration; Inconclusive when its packages cannot be restored here.</summary>
    static (string Dll, string Bin) BuildSample()
    {
        var testDir = AppContext.BaseDirectory.TrimEnd('/');            // .../test/MLNet.FineTune.Tests/bin/<Config>/<tfm>
        var tfm = Path.GetFileName(testDir);
        var config = Path.GetFileName(Path.GetDirectoryName(testDir)!);
        var repo = Path.GetFullPath(Path.Combine(testDir, "../../../../.."));
        var project = Path.Combine(repo, "samples", "OnnxGpuScoring", "OnnxGpuScoring.csproj");
        var bin = Path.Combine(repo, "samples", "OnnxGpuScoring", "bin", config, tfm);
        using var build = Process.Start(new ProcessStartInfo("dotnet", $"build \"{project}\" -c {config} -nologo -v q") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var log = build.StandardOutput.ReadToEndAsync();
        var errors = build.StandardError.ReadToEnd();
        if (!build.WaitForExit(TimeSpan.FromMinutes(10))) { build.Kill(entireProcessTree: true); Assert.Fail("building samples/OnnxGpuScoring took over 10 minutes"); }
        string output = log.Result + errors;
        if (build.ExitCode != 0 && (output.Contains("NU1101") || output.Contains("NU1301") || output.Contains("NU1102")))
            Assert.Inconclusive($"Microsoft.ML.OnnxRuntime.Gpu.Linux could not be restored here (no NuGet feed with it): {output.Trim()}");
        Assert.AreEqual(0, build.ExitCode, output);
        return (Path.Combine(bin, "OnnxGpuScoring.dll"), bin);
    }
}
