using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli.Output;

/// <summary>The last line of defence (registered in Program.cs): every exception still unhandled becomes exit code 2.</summary>
internal static class ExitCodes
{
    public static int Unhandled(Exception e)
    {
        // Spectre's parse errors are the user's (a typo in a command or an option); anything else is ours, so its type
        // and the innermost frame go on the line for the bug report (MLNET_FINETUNE_DEBUG=1 prints the whole trace).
        var message = e is CommandAppException ? e.Message : $"unexpected {e.GetType().Name}: {e.Message}";
        Console.Error.WriteLine("error: " + message.ReplaceLineEndings(" "));
        if (e is not CommandAppException && Environment.GetEnvironmentVariable("MLNET_FINETUNE_DEBUG") == "1") Console.Error.WriteLine(e);
        return ExitCode.Error;
    }
}
