namespace MLNet.FineTune.Persistence;

/// <summary>
/// Validates payload entry names, on save and again on load (names read from a file are untrusted): relative
/// '/'-separated paths of [A-Za-z0-9._-] segments, so no entry can escape its folder when stored or extracted.
/// </summary>
internal static class PayloadEntryName
{
    internal const int MaxLength = 200;

    /// <summary>Returns null when <paramref name="name"/> is acceptable, otherwise why it is not.</summary>
    internal static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "the name is empty";
        if (name.Length > MaxLength) return $"the name is {name.Length} characters long (at most {MaxLength})";
        if (name[0] == '/' || name[0] == '\\' || (name.Length > 1 && name[1] == ':'))
            return "absolute paths are not allowed";
        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0) return "empty path segments ('//' or a trailing '/') are not allowed";
            if (segment is "." or "..") return $"the segment '{segment}' is not allowed";
            foreach (var c in segment)
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                    return $"the character '{c}' is not allowed (use A-Z, a-z, 0-9, '.', '_', '-', and '/' between segments)";
        }
        return null;
    }

    /// <summary>Throws <see cref="ArgumentException"/> (saving) when the name is unsafe.</summary>
    internal static void CheckForSave(string name)
    {
        var problem = Problem(name);
        if (problem != null) throw new ArgumentException($"Payload entry name '{name}' is invalid: {problem}.", nameof(name));
    }
}
