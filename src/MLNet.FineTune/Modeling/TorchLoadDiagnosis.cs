using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// Why TorchSharp's native bridge did not load. TorchSharp probes with NativeLibrary.TryLoad, which drops the dynamic
/// loader's error, and then reports every failure as a missing libtorch package. So when it fails we load the app's
/// libLibTorchSharp.so ourselves to get dlopen's text, and pick the message from that.
/// </summary>
internal static class TorchLoadDiagnosis
{
    const string LibraryName = "libLibTorchSharp.so";
    static readonly Regex GlibcxxVersion = new(@"GLIBCXX_[0-9.]*[0-9]", RegexOptions.CultureInvariant);
    static readonly Regex MissingDependency = new(@"([^\s:/]+\.so[.0-9]*): cannot open shared object file", RegexOptions.CultureInvariant);

    /// <summary>The first libLibTorchSharp.so where the runtime looks for natives, and the loader's error for it (null when none is found or it loads).</summary>
    public static (string? Path, string? LoaderError) Probe()
    {
        if (!OperatingSystem.IsLinux()) return (null, null);
        foreach (var dir in SearchDirectories())
        {
            var path = Path.Combine(dir, LibraryName);
            if (!File.Exists(path)) continue;
            try
            {
                NativeLibrary.Free(NativeLibrary.Load(path)); // loads: the cause is elsewhere
                return (path, null);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException) { return (path, e.Message); }
        }
        return (null, null);
    }

    // The runtime's native search path (the app folder and the deps.json native folders, in its order), then the app folder.
    static IEnumerable<string> SearchDirectories()
    {
        var listed = (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return listed.Append(AppContext.BaseDirectory).Append(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native")).Distinct();
    }

    /// <summary>The message for a failed load: from the loader's error for <paramref name="libraryPath"/> when there is one, else from TorchSharp's.</summary>
    /// <param name="torchSharpError">TorchSharp's exception messages (it always blames a missing package).</param>
    /// <param name="libraryPath">The app's libLibTorchSharp.so, or null when none was found.</param>
    /// <param name="loaderError">dlopen's error for that file, or null.</param>
    public static string Message(string torchSharpError, string? libraryPath, string? loaderError)
    {
        var evidence = loaderError ?? torchSharpError;
        if (GlibcxxVersion.Match(evidence) is { Success: true } version && evidence.Contains("not found", StringComparison.Ordinal))
            return $"TorchSharp could not load: {libraryPath ?? LibraryName} needs {version.Value}, which this system's libstdc++ lacks " +
                   "(Debian 12 ships GLIBCXX_3.4.30). MLNet.FineTune's build patches the copy in an app's output folder; this copy is unpatched. " +
                   "Build and run the app from its own output (dotnet build / dotnet publish), referencing MLNet.FineTune by package or by " +
                   "ProjectReference to src/MLNet.FineTune, without -p:MLNetFineTunePatchGlibcxx=false; or install a libstdc++ from GCC 13+. " +
                   "Loader error: " + evidence;
        if (libraryPath is null)
            return $"TorchSharp could not load its native libraries: no {LibraryName} was found beside the app. " + PackageAdvice + " Details: " + torchSharpError;
        if (loaderError is null)
            return $"TorchSharp could not load its native libraries ({libraryPath} itself loads). Details: " + torchSharpError;
        if (MissingDependency.Match(loaderError) is { Success: true } dependency)
            return $"TorchSharp could not load: {libraryPath} is present but its dependency {dependency.Groups[1].Value} was not found. " +
                   PackageAdvice + " Loader error: " + loaderError;
        return $"TorchSharp could not load: {libraryPath} is present but the loader refused it: {loaderError}";
    }

    const string PackageAdvice = "Reference the 'libtorch-cpu-linux-x64' package (or the CUDA variant with -p:TorchBackend=cuda) next to " +
                                 "'TorchSharp', and run on linux-x64.";
}
