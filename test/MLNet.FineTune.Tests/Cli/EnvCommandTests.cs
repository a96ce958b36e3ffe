using System.Text.Json;
using MLNet.FineTune.Cli.Diagnostics;

namespace MLNet.FineTune.Tests.Cli;

[TestClass]
public sealed class EnvCommandTests
{
    [TestMethod]
    public void JsonReportsVersionsCpuThreadsProvidersAndTheGlibcxxPatch()
    {
        var result = CliProcess.Run("env", "--json");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.AreEqual("env", json.GetProperty("command").GetString());
        StringAssert.StartsWith(json.GetProperty("dotnet").GetProperty("runtime").GetString(), ".NET ");
        var torch = json.GetProperty("torch");
        Assert.AreEqual("0.107.0", torch.GetProperty("torchSharpVersion").GetString());
        // The test run itself uses TorchSharp, so here it loads and the build's libtorch package is the CPU one.
        Assert.IsTrue(torch.GetProperty("loaded").GetBoolean(), result.Stdout);
        Assert.AreEqual(("libtorch-cpu-linux-x64", "2.10.0"), (torch.GetProperty("libtorchPackage").GetString(), torch.GetProperty("libtorchVersion").GetString()));
        Assert.IsGreaterThanOrEqualTo(1, torch.GetProperty("threads").GetInt32());
        // What the library did about MKL's Intel-only kernel check (issue #17): bypassed on AMD with AVX2 and no AVX-512 or when
        // asked, left as shipped on other AMD CPUs or when told to keep it, untouched elsewhere.
        var mkl = torch.GetProperty("mklKernels").GetString();
        var vendor = MLNet.FineTune.Modeling.MklVendorCheck.CpuVendor();
        var expectedMkl = vendor != "AuthenticAMD" ? "NotNeeded: "
            : MLNet.FineTune.Modeling.MklVendorCheck.Wanted(vendor) ? "Bypassed: " : "Disabled: ";
        StringAssert.StartsWith(mkl, expectedMkl, result.Stdout);
        var cpu = json.GetProperty("cpu");
        Assert.AreEqual(Environment.ProcessorCount, cpu.GetProperty("logicalCores").GetInt32());
        Assert.AreEqual(System.Runtime.Intrinsics.X86.Avx2.IsSupported, cpu.GetProperty("dotnetIntrinsics").GetProperty("avx2").GetBoolean());
        if (File.Exists("/proc/cpuinfo") && File.ReadAllText("/proc/cpuinfo").Contains(" avx2", StringComparison.Ordinal))
            CollectionAssert.Contains(cpu.GetProperty("features").EnumerateArray().Select(f => f.GetString()).ToList(), "avx2");
        var cuda = json.GetProperty("cuda");
        Assert.IsFalse(cuda.GetProperty("available").GetBoolean()); // a CPU-only libtorch build
        StringAssert.Contains(cuda.GetProperty("detail").GetString(), "libtorch-cpu-linux-x64");
        var ort = json.GetProperty("onnxRuntime");
        Assert.IsFalse(string.IsNullOrWhiteSpace(ort.GetProperty("detail").GetString()));
        Assert.AreEqual(ort.GetProperty("available").GetBoolean(), ort.GetProperty("providers").GetArrayLength() > 0);
        var glibcxx = json.GetProperty("glibcxx");
        var status = glibcxx.GetProperty("status").GetString();
        if (OperatingSystem.IsLinux())
        {
            // TorchSharp loaded, so the library it mapped is either patched or the system's libstdc++ is new enough.
            CollectionAssert.Contains(new[] { "patched", "not_needed" }, status, glibcxx.ToString());
            StringAssert.EndsWith(glibcxx.GetProperty("library").GetString(), "libLibTorchSharp.so");
        }
        else Assert.AreEqual("not_applicable", status);
    }

    [TestMethod]
    [DataRow("bypass", "Bypassed: AMD CPU: MKL's Intel-only check answered yes")]
    [DataRow("Keep", "Disabled: MKL runs its non-Intel path on this AMD CPU, as MLNET_FINETUNE_MKL_VENDOR_CHECK=keep asks")]
    public void AnAmdProcessDoesWhatTheVendorCheckVariableAsks(string value, string expectedOnAmd)
    {
        var variable = MLNet.FineTune.Modeling.MklVendorCheck.Variable;
        var result = TrainCliFixture.Run(["env", "--json"], new Dictionary<string, string> { [variable] = value });
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var mkl = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("torch").GetProperty("mklKernels").GetString();
        if (MLNet.FineTune.Modeling.MklVendorCheck.CpuVendor() == "AuthenticAMD") StringAssert.StartsWith(mkl, expectedOnAmd, result.Stdout);
        else StringAssert.StartsWith(mkl, "NotNeeded: ", result.Stdout); // Intel: nothing to bypass, nothing touched
    }

    [TestMethod]
    [DataRow(null, "on: MKL packed weights for products of up to 64 rows")]
    [DataRow("OFF", "off (MLNET_FINETUNE_PACKED_WEIGHTS=off)")]
    public void PackedWeightsFollowTheirVariable(string? value, string expectedWithMkl)
    {
        var variables = value is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [MLNet.FineTune.Modeling.WeightPacking.PackedWeightScoring.Variable] = value };
        var result = TrainCliFixture.Run(["env", "--json"], variables);
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        var packed = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("torch").GetProperty("packedWeights").GetString();
        if (MLNet.FineTune.Modeling.WeightPacking.MklPackedGemm.Available) StringAssert.StartsWith(packed, expectedWithMkl, result.Stdout);
        else StringAssert.StartsWith(packed, "unavailable: ", result.Stdout);
    }

    [TestMethod]
    public void HumanOutputIsATableOfTheSameFacts()
    {
        var result = CliProcess.Run("env");
        Assert.AreEqual(0, result.ExitCode, result.ToString());
        foreach (var row in new[] { "TorchSharp", "0.107.0", "libtorch", "torch threads", "MKL kernels", "Packed weights", "CPU features", "CUDA", "ONNX Runtime", "GLIBCXX patch" })
            StringAssert.Contains(result.Stdout, row, result.ToString());
    }

    [TestMethod]
    public void ElfVersionNeedsTellThePatchedCopyFromTheNuGetOriginal()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("libLibTorchSharp.so is a Linux library.");
        var patched = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var original = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(patched) || !File.Exists(original)) Assert.Inconclusive($"needs {patched} and {original}");
        var before = ElfVersionNeeds.Read(original)!;
        var after = ElfVersionNeeds.Read(patched)!;
        CollectionAssert.Contains(before.ToList(), "GLIBCXX_3.4.32");
        Assert.IsFalse(after.Contains("GLIBCXX_3.4.32"));
        CollectionAssert.Contains(after.ToList(), "GLIBCXX_3.4.30");
        Assert.IsNull(ElfVersionNeeds.Read(typeof(EnvCommandTests).Assembly.Location)); // not ELF
    }
}
