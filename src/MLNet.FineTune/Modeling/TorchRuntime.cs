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
            MklVendorCheck.Apply(); // before MKL's first matrix product
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or BadImageFormatException or InvalidOperationException)
        {
            return e;
        }
    }

    // TorchSharp's exception always blames a missing package; the loader's own error for the file says what went wrong.
    internal static string Explain(Exception e)
    {
        var (path, loaderError) = TorchLoadDiagnosis.Probe();
        return TorchLoadDiagnosis.Message(string.Join(" | ", Chain(e).Select(x => x.Message)), path, loaderError);
    }

    static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e != null; e = e.InnerException) yield return e;
    }
}
