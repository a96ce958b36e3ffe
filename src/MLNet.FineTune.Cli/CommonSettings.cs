using System.ComponentModel;
using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli;

/// <summary>Options every command takes.</summary>
internal class CommonSettings : CommandSettings
{
    /// <summary>Machine-readable output: one JSON document on stdout, nothing else there.</summary>
    [CommandOption("--json")]
    [Description("Write one JSON document to stdout instead of tables and progress (for scripts and CI).")]
    public bool Json { get; init; }
}
