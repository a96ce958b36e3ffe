using System.Text;
using MLNet.FineTune.Modeling;

namespace MLNet.FineTune.Cli.Diagnostics;

/// <summary>
/// Whether the build's GLIBCXX patch of libLibTorchSharp.so (docs/design/encoders.md) is in place: TorchSharp 0.107's
/// library asks for GLIBCXX_3.4.32 (GCC 13), which Debian 12's libstdc++ lacks; the patch renames that need to
/// GLIBCXX_3.4.30. So the library's version needs tell the state: 3.4.32 among them = unpatched.
/// </summary>
internal sealed record GlibcxxStatus(string Status, string? Library, bool? SystemHasGlibcxx3432, bool? LibraryNeedsGlibcxx3432, string Detail)
{
    const string Needed = "GLIBCXX_3.4.32";

    // Where the dynamic loader finds libstdc++ on the common distributions (the build task looks in the same places).
    static readonly string[] LibStdcxx =
    [
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    ];

    public static GlibcxxStatus Probe()
    {
        if (!OperatingSystem.IsLinux()) return new("not_applicable", null, null, null, "only Linux builds of libLibTorchSharp.so need GLIBCXX");
        var stdcxx = LibStdcxx.FirstOrDefault(File.Exists);
        bool? systemHas = stdcxx is null ? null : Contains(stdcxx, Needed);
        // The copy the process actually mapped (TorchSharp loaded it) is the one that matters; the runtimes/ folder may hold
        // an unpatched twin that is never loaded. Before loading, the loader's first candidate.
        var library = LoadedLibrary() ?? TorchLoadDiagnosis.Probe().Path;
        if (library is null) return new("library_not_found", null, systemHas, null, "no libLibTorchSharp.so beside the tool; TorchSharp cannot load");
        if (ElfVersionNeeds.Read(library) is not { } needs) return new("unknown", library, systemHas, null, $"{library} is not an ELF library this tool can read");
        bool libraryNeeds = needs.Contains(Needed);
        return (libraryNeeds, systemHas) switch
        {
            (false, _) => new("patched", library, systemHas, false, $"{library} does not ask for {Needed} (the build's patch is applied)"),
            (true, true) => new("not_needed", library, true, true, $"{stdcxx} provides {Needed}, so the unpatched library loads"),
            (true, _) => new("unpatched", library, systemHas, true,
                $"{library} asks for {Needed}, which {stdcxx ?? "this system's libstdc++"} lacks: TorchSharp will not load. Rebuild without -p:MLNetFineTunePatchGlibcxx=false, or install libstdc++ from GCC 13+"),
        };
    }

    static string? LoadedLibrary()
    {
        try
        {
            return File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length >= 6 && f[^1].EndsWith("/libLibTorchSharp.so", StringComparison.Ordinal)).Select(f => f[^1]).FirstOrDefault();
        }
        catch (IOException) { return null; }
    }

    static bool Contains(string path, string text)
    {
        try { return File.ReadAllBytes(path).AsSpan().IndexOf(Encoding.ASCII.GetBytes(text + "\0")) >= 0; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
