using MLNet.FineTune.Cli.Diagnostics;
using MLNet.FineTune.Cli.Output;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli.Commands;

/// <summary><c>mlnet-finetune env</c>: versions, CPU, threads, CUDA and ONNX Runtime availability, the GLIBCXX patch.</summary>
internal sealed class EnvCommand : Command<EnvCommand.Settings>
{
    /// <summary>The command's arguments and options.</summary>
    internal sealed class Settings : CommonSettings
    {
    }

    /// <inheritdoc />
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        CliOutput.Guard(settings.Json, () =>
        {
            var report = EnvironmentReport.Collect();
            if (settings.Json) CliOutput.WriteJson(report);
            else Render(report, AnsiConsole.Console);
            return ExitCode.Ok;
        });

    static void Render(EnvironmentReport r, IAnsiConsole console)
    {
        static string YesNo(bool value, string detail) => (value ? "yes" : "no") + (detail.Length > 0 ? $" ({detail})" : "");
        var table = new Table().AddColumn("").AddColumn("");
        table.ShowHeaders = false;
        void Row(string name, string value) => table.AddRow(new Text(name), new Text(value));
        Row("mlnet-finetune", r.ToolVersion);
        Row(".NET", $"{r.Dotnet.Runtime}, {r.Dotnet.RuntimeIdentifier}, {r.Dotnet.Os}");
        Row("TorchSharp", r.Torch.TorchSharpVersion);
        Row("libtorch", r.Torch.LibtorchPackage is null ? "unknown (no deps.json entry)" : $"{r.Torch.LibtorchVersion} ({r.Torch.LibtorchPackage})");
        Row("libtorch loads", r.Torch.Loaded ? "yes" : "no: " + r.Torch.LoadError);
        Row("torch threads", r.Torch.Threads is { } t ? $"{t} intra-op, {r.Torch.InteropThreads} inter-op" : "n/a");
        Row("MKL kernels", r.Torch.MklKernels ?? "n/a");
        Row("Packed weights", r.Torch.PackedWeights ?? "n/a");
        Row("CPU", $"{r.Cpu.Model ?? "unknown"}, {r.Cpu.LogicalCores} logical cores");
        Row("CPU features", r.Cpu.Features.Count == 0 ? "none of interest found in /proc/cpuinfo" : string.Join(' ', r.Cpu.Features));
        Row("CUDA", YesNo(r.Cuda.Available, r.Cuda.Detail));
        Row("ONNX Runtime", r.OnnxRuntime.Available ? $"providers {string.Join(", ", r.OnnxRuntime.Providers)} ({r.OnnxRuntime.Detail})" : "no (" + r.OnnxRuntime.Detail + ")");
        Row("GLIBCXX patch", $"{r.Glibcxx.Status}: {r.Glibcxx.Detail}");
        console.Write(table);
    }
}
