namespace MLNet.FineTune.Cli;

/// <summary>The tool's exit codes, the same for every command (documented in <c>--help</c> and the README).</summary>
internal static class ExitCode
{
    /// <summary>Done; no problem found.</summary>
    public const int Ok = 0;

    /// <summary>Done, but with warnings, and <c>--strict</c> asked to fail on them.</summary>
    public const int Warnings = 1;

    /// <summary>Failed: bad input, bad arguments, or an error while running.</summary>
    public const int Error = 2;
}
