using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.WeightPacking;
using TorchSharp;

namespace MLNet.FineTune.Cli.Diagnostics;

internal sealed record DotnetInfo(string Runtime, string RuntimeIdentifier, string Os, string Architecture);
internal sealed record TorchInfo(string TorchSharpVersion, string? LibtorchPackage, string? LibtorchVersion, bool Loaded, string? LoadError, int? Threads, int? InteropThreads, string? MklKernels, string? PackedWeights);
internal sealed record CpuInfo(string? Model, int LogicalCores, IReadOnlyList<string> Features, IReadOnlyDictionary<string, bool> DotnetIntrinsics);
internal sealed record ProviderInfo(bool Available, IReadOnlyList<string> Providers, string Detail);

/// <summary><c>env</c>'s report: everything a bug report about installing or running the tool needs.</summary>
internal sealed record EnvironmentReport(string ToolVersion, DotnetInfo Dotnet, TorchInfo Torch, CpuInfo Cpu, ProviderInfo Cuda, ProviderInfo OnnxRuntime, GlibcxxStatus Glibcxx)
{
    public string Command => "env";

    // The CPU flags that decide libtorch's and ONNX Runtime's kernels (AVX-512/AMX for bf16 and int8).
    static readonly string[] InterestingFlags = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "asimd", "sve"];

    public static EnvironmentReport Collect()
    {
        var torchInfo = ProbeTorch(out bool loaded);
        return new(
            typeof(EnvironmentReport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            new DotnetInfo(RuntimeInformation.FrameworkDescription, RuntimeInformation.RuntimeIdentifier, RuntimeInformation.OSDescription, RuntimeInformation.ProcessArchitecture.ToString()),
            torchInfo, ProbeCpu(), ProbeCuda(loaded, torchInfo.LibtorchPackage), ProbeOnnxRuntime(), GlibcxxStatus.Probe());
    }

    static TorchInfo ProbeTorch(out bool loaded)
    {
        var torchSharp = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
            ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";
        var (package, version) = LibtorchPackage();
        try
        {
            TorchRuntime.EnsureLoaded();
            loaded = true;
            return new(torchSharp, package, version, true, null, torch.get_num_threads(), torch.get_num_interop_threads(),
                $"{MklVendorCheck.State}: {MklVendorCheck.Detail}", PackedWeightScoring.State);
        }
        catch (InvalidOperationException e)
        {
            loaded = false;
            return new(torchSharp, package, version, false, e.Message, null, null, null, null);
        }
    }

    /// <summary>The libtorch native package the tool was built with, from its deps.json (no native code needed to tell).</summary>
    static (string? Package, string? Version) LibtorchPackage()
    {
        var deps = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.Combine(AppContext.BaseDirectory, typeof(EnvironmentReport).Assembly.GetName().Name + ".deps.json")).FirstOrDefault(File.Exists);
        if (deps is null) return (null, null);
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(deps));
            if (!json.RootElement.TryGetProperty("libraries", out var libraries)) return (null, null);
            var name = libraries.EnumerateObject().Select(p => p.Name).FirstOrDefault(n => n.StartsWith("libtorch-", StringComparison.Ordinal));
            return name?.Split('/') is [var package, var version] ? (package, version) : (null, null);
        }
        catch (JsonException) { return (null, null); }
    }

    static CpuInfo ProbeCpu()
    {
        string? model = null;
        var flags = new HashSet<string>();
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    var (key, value) = line.IndexOf(':') is int colon and > 0 ? (line[..colon].Trim(), line[(colon + 1)..].Trim()) : ("", "");
                    if (model is null && key is "model name" or "Model" or "cpu model") model = value;
                    if (key is "flags" or "Features" && flags.Count == 0) flags.UnionWith(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                }
        }
        catch (IOException) { }
        return new(model, Environment.ProcessorCount, InterestingFlags.Where(flags.Contains).ToList(), new Dictionary<string, bool>
        {
            ["avx2"] = Avx2.IsSupported, ["fma"] = Fma.IsSupported, ["avx512f"] = Avx512F.IsSupported, ["avx512bw"] = Avx512BW.IsSupported,
            ["avxVnni"] = AvxVnni.IsSupported, ["advSimd"] = AdvSimd.IsSupported,
        });
    }

    static ProviderInfo ProbeCuda(bool torchLoaded, string? libtorchPackage)
    {
        if (!torchLoaded) return new(false, [], "TorchSharp did not load (see torch.loadError), so CUDA cannot be asked");
        if (torch.cuda.is_available()) return new(true, [$"cuda ({torch.cuda.device_count()} devices)"], "libtorch reports CUDA devices");
        if (libtorchPackage?.Contains("cpu", StringComparison.Ordinal) == true)
            return new(false, [], $"this build uses the CPU-only libtorch package ({libtorchPackage}); CUDA needs a build with -p:TorchBackend=cuda (docs/design/encoders.md) and an NVIDIA driver");
        return new(false, [], File.Exists("/dev/nvidiactl") ? "libtorch has CUDA but reports no usable device (driver or CUDA version mismatch?)" : "no NVIDIA driver found (/dev/nvidiactl is missing)");
    }

    /// <summary>ONNX Runtime's execution providers, if its managed assembly is beside the tool (the tool itself does not need it).</summary>
    static ProviderInfo ProbeOnnxRuntime()
    {
        Assembly assembly;
        try { assembly = Assembly.Load("Microsoft.ML.OnnxRuntime"); }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            var local = Path.Combine(AppContext.BaseDirectory, "Microsoft.ML.OnnxRuntime.dll");
            if (!File.Exists(local)) return new(false, [], "ONNX Runtime is not installed with the tool (no Microsoft.ML.OnnxRuntime assembly); the tool does not need it");
            try { assembly = Assembly.LoadFrom(local); }
            catch (Exception inner) when (inner is FileLoadException or BadImageFormatException) { return new(false, [], $"Microsoft.ML.OnnxRuntime.dll could not be loaded: {inner.Message}"); }
        }
        try
        {
            var env = assembly.GetType("Microsoft.ML.OnnxRuntime.OrtEnv")?.GetMethod("Instance", BindingFlags.Public | BindingFlags.Static)?.Invoke(null, null);
            var providers = env?.GetType().GetMethod("GetAvailableProviders")?.Invoke(env, null) as string[];
            return providers is null
                ? new(false, [], $"Microsoft.ML.OnnxRuntime {assembly.GetName().Version} has no OrtEnv.GetAvailableProviders")
                : new(providers.Length > 0, providers, $"Microsoft.ML.OnnxRuntime {assembly.GetName().Version}");
        }
        catch (TargetInvocationException e)
        {
            return new(false, [], $"Microsoft.ML.OnnxRuntime {assembly.GetName().Version} is there but its native library did not load: {e.InnerException?.Message ?? e.Message}");
        }
    }
}
