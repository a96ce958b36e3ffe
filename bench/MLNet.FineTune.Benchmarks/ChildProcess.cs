using System.Diagnostics;

namespace MLNet.FineTune.Benchmarks;

/// <summary>Runs this benchmark console again in a child process, so each run's peak RSS (VmHWM) is its own.</summary>
public static class ChildProcess
{
    public static int Run(IEnumerable<string> arguments)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        child.WaitForExit();
        return child.ExitCode;
    }
}
