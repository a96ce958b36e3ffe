using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli.Commands;

/// <summary><c>mlnet-finetune train</c>.</summary>
internal sealed class TrainCommand : Command<TrainCommand.Settings>
{
    /// <summary>The command's arguments and options.</summary>
    internal sealed class Settings : CommonSettings
    {
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("error: 'train' is not built yet.");
        return ExitCode.Error;
    }
}
