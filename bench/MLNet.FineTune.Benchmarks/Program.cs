using System.Diagnostics;
using MLNet.FineTune.Benchmarks;

// Usage: dotnet run -c Release --project bench/MLNet.FineTune.Benchmarks -- peft <method|all> [--quick] [--steps N] [--warmup N]
// Methods: full, headonly, bitfit, lora, houlsby, pfeiffer, prompt. Prints one JSON line per run. "all" runs each method
// in its own child process, so every peak RSS (VmHWM) belongs to one method only.
if (args.Length < 2 || args[0] != "peft")
{
    Console.Error.WriteLine("usage: peft <full|headonly|bitfit|lora|houlsby|pfeiffer|prompt|all> [--quick] [--steps N] [--warmup N]");
    return 2;
}
var rest = args.Skip(2).ToArray();
if (args[1] == "all")
{
    foreach (var method in PeftBenchmark.DefaultMethods)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(PeftBenchmark).Assembly.Location);
        foreach (var a in new[] { "peft", method }.Concat(rest)) start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        child.WaitForExit();
        if (child.ExitCode != 0) return child.ExitCode;
    }
    return 0;
}
Console.WriteLine(PeftBenchmark.Run(args[1], BenchmarkSettings.Parse(rest)));
return 0;
