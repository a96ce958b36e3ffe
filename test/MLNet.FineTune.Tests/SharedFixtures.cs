namespace MLNet.FineTune.Tests;

/// <summary>
/// Locates ../shared (fixtures, data) for integration tests. CI always has it beside the clone; on a user's own
/// clone it may be absent, and then the test ends Inconclusive naming what is missing (never a silent pass).
/// Override with the MLNET_FINETUNE_SHARED environment variable.
/// </summary>
public static class SharedFixtures
{
    static readonly Lazy<string?> root = new(FindRoot);

    public static string? Root => root.Value;

    static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("MLNET_FINETUNE_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return Path.GetFullPath(env);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "fixtures")) || Directory.Exists(Path.Combine(candidate, "data")))
                return candidate;
        }
        return null;
    }

    /// <summary>Full path of a file or folder under shared/, or Assert.Inconclusive naming it.</summary>
    public static string Require(string relativePath)
    {
        if (Root == null)
            Assert.Inconclusive($"../shared is not beside this clone (needed: shared/{relativePath}); set MLNET_FINETUNE_SHARED to its path.");
        var path = Path.Combine(Root!, relativePath);
        if (!File.Exists(path) && !Directory.Exists(path))
            Assert.Inconclusive($"Missing shared fixture: {path}");
        return path;
    }

    public static string HfReference(string relativePath) => Require(Path.Combine("fixtures", "hf-reference", relativePath));
}
