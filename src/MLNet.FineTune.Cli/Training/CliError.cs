namespace MLNet.FineTune.Cli.Training;

/// <summary>A user error the tool reports as one line (<c>error: …</c>) with exit code 2: bad arguments, an unreadable file.</summary>
internal sealed class CliError(string message) : Exception(message)
{
    /// <summary>
    /// Runs a command's body: errors of the user's making (arguments, files, data, options the library refuses) become one
    /// <c>error: …</c> line on stderr and exit code 2 instead of a stack trace.
    /// </summary>
    public static int Report(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e) when (e is CliError or ArgumentException or InvalidDataException or InvalidOperationException or NotSupportedException
                                      or IOException or UnauthorizedAccessException or FormatException)
        {
            Console.Error.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")}");
            return ExitCode.Error;
        }
    }
}
