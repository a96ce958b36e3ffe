using System.Diagnostics;

namespace MLNet.FineTune.Tests.Cli;

/// <summary>What one run of the tool returned.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs the built tool (<c>mlnet-finetune.dll</c>, copied beside the tests by the project reference) as a separate
/// process, as a user's shell would: tests see only exit codes, stdout, stderr and the files written.
/// </summary>
internal static class CliProcess
{
    public static string ToolDll => Path.Combine(AppContext.BaseDirectory, "mlnet-finetune.dll");

    public static CliResult Run(IEnumerable<string> args, string? workingDirectory = null, string? stdin = null, int timeoutSeconds = 300)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ToolDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mlnet-finetune {string.Join(' ', args)} did not finish within {timeoutSeconds} s.");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static CliResult Run(params string[] args) => Run((IEnumerable<string>)args);
}
