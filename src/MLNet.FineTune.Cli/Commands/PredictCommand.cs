using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli.Commands;

/// <summary><c>mlnet-finetune predict</c>.</summary>
internal sealed class PredictCommand : Command<PredictCommand.Settings>
{
    /// <summary>The command's arguments and options.</summary>
    internal sealed class Settings : CommonSettings
    {
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("error: 'predict' is not built yet.");
        return ExitCode.Error;
    }
}
