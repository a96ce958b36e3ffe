using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli.Commands;

/// <summary><c>mlnet-finetune env</c>.</summary>
internal sealed class EnvCommand : Command<EnvCommand.Settings>
{
    /// <summary>The command's arguments and options.</summary>
    internal sealed class Settings : CommonSettings
    {
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("error: 'env' is not built yet.");
        return ExitCode.Error;
    }
}
