using TorchSharp;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// Loads TorchSharp's native libraries once and turns the many ways that can fail (missing libtorch package, a
/// libstdc++ too old for libLibTorchSharp.so, wrong architecture) into one message naming the cause and the fix.
/// </summary>
internal static class TorchRuntime
{
    static readonly Lazy<Exception?> failure = new(TryLoad);

    /// <summary>Throws <see cref="InvalidOperationException"/> with the cause and the fix when TorchSharp cannot load.</summary>
    public static void EnsureLoaded()
    {
        if (failure.Value is { } e) throw new InvalidOperationException(Explain(e), e);
    }

    static Exception? TryLoad()
    {
        try
        {
            using var probe = torch.zeros(1);
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or BadImageFormatException or InvalidOperationException)
        {
            return e;
        }
    }

    internal static string Explain(Exception e)
    {
        var all = string.Join(" | ", Chain(e).Select(x => x.Message));
        if (all.Contains("GLIBCXX", StringComparison.Ordinal))
            return "TorchSharp could not load: libLibTorchSharp.so needs GLIBCXX_3.4.32 but this system's libstdc++ is older " +
                   "(Debian 12 ships 3.4.30). MLNet.FineTune's build step patches the copy in your output folder; it did not run here. " +
                   "Build through MSBuild (dotnet build/publish) with the MLNet.FineTune package referenced and without " +
                   "-p:MLNetFineTunePatchGlibcxx=false, or install a libstdc++ from GCC 13+. Details: " + all;
        return "TorchSharp could not load its native libraries. Reference the 'libtorch-cpu-linux-x64' package (or the CUDA " +
               "variant with -p:TorchBackend=cuda) next to 'TorchSharp', and run on linux-x64. Details: " + all;
    }

    static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e != null; e = e.InnerException) yield return e;
    }
}
