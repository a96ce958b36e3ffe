using System.Text.RegularExpressions;

namespace MLNet.FineTune.Peft;

/// <summary>PEFT's module matching (check_target_module_exists in tuners_utils.py), plus exclusions that win.</summary>
internal static class TargetModules
{
    /// <summary>True when <paramref name="path"/> equals a name or ends with <c>.name</c>.</summary>
    public static bool MatchesList(string path, IEnumerable<string> names) =>
        names.Any(n => path == n || path.EndsWith("." + n, StringComparison.Ordinal));

    /// <summary>Whether LoRA with <paramref name="options"/> wraps the projection at <paramref name="path"/>.</summary>
    public static bool IsTargeted(LoraOptions options, string path, string modelType)
    {
        if (MatchesList(path, options.ExcludeModules)) return false;
        if (options.TargetModulesPattern is { } pattern)
            return pattern == LoraOptions.AllLinear || Regex.IsMatch(path, $@"^(?:{pattern})\z");
        return MatchesList(path, options.TargetModules ?? LoraOptions.DefaultTargets(modelType));
    }
}
