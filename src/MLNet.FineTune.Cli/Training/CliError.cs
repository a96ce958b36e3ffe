namespace MLNet.FineTune.Cli.Training;

/// <summary>A user error the tool reports as one line (<c>error: …</c>) with exit code 2: bad arguments, an unreadable file.</summary>
internal sealed class CliError(string message) : Exception(message);
