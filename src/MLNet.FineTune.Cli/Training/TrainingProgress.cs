using System.Globalization;
using MLNet.FineTune.Training;
using Spectre.Console;

namespace MLNet.FineTune.Cli.Training;

/// <summary>
/// Shows training progress: a Spectre.Console progress bar (loss, learning rate, examples/s, ETA) on a terminal, plain log
/// lines when the output is redirected (every step for the first 5, then about 50 lines a run, and every evaluation), nothing
/// on stdout with <c>--json</c> (the lines go to stderr then). Reports arrive on the training thread, synchronously.
/// </summary>
internal sealed class TrainingProgress : IProgress<FineTuneProgress>
{
    readonly TextWriter log;
    readonly Interruption interruption;
    ProgressTask? bar;

    /// <summary>The steps reported so far (for trainers that return no history of their own: SetFit, FineTuneEmbeddings).</summary>
    public TrainingHistory History { get; } = new();

    TrainingProgress(TextWriter log, Interruption interruption) { this.log = log; this.interruption = interruption; }

    /// <summary>Runs <paramref name="train"/> with progress shown as fits the console.</summary>
    public static T Run<T>(bool json, Interruption interruption, Func<IProgress<FineTuneProgress>, T> train) => Run(json, interruption, train, out _);

    /// <summary>As <see cref="Run{T}(bool, Interruption, Func{IProgress{FineTuneProgress}, T})"/>, also giving the steps reported.</summary>
    public static T Run<T>(bool json, Interruption interruption, Func<IProgress<FineTuneProgress>, T> train, out TrainingHistory history)
    {
        bool terminal = !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        var progress = new TrainingProgress(json ? Console.Error : Console.Out, interruption);
        history = progress.History;
        if (!terminal) return train(progress);
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                progress.bar = ctx.AddTask("preparing (tokenizing, building the model)", maxValue: 1);
                result = train(progress);
            });
        return result;
    }

    public void Report(FineTuneProgress p)
    {
        interruption.StepDone(p.Step);
        if (p.EvalMetrics is null && (History.Steps.Count == 0 || History.Steps[^1].Step < p.Step))
            History.Steps.Add(new StepRecord(p.Step, p.Epoch, p.Loss, p.LearningRate, double.NaN));
        History.GlobalStep = Math.Max(History.GlobalStep, p.Step);
        string line = Describe(p);
        if (bar is not null)
        {
            bar.MaxValue = Math.Max(1, p.TotalSteps);
            bar.Value = p.Step;
            bar.Description = Markup.Escape(line);
            if (p.EvalMetrics is not null) AnsiConsole.MarkupLine(Markup.Escape(line));
            return;
        }
        int every = Math.Max(1, p.TotalSteps / 50);
        if (p.EvalMetrics is not null || p.Step <= 5 || p.Step % every == 0 || p.Step == p.TotalSteps) log.WriteLine(line);
    }

    static string Describe(FineTuneProgress p)
    {
        var s = string.Create(CultureInfo.InvariantCulture,
            $"step {p.Step}/{p.TotalSteps} epoch {p.Epoch} loss {p.Loss:F4} lr {p.LearningRate:G3} {p.ExamplesPerSecond:F1} ex/s");
        if (p.EstimatedTimeRemaining is { } eta) s += $" eta {eta:hh\\:mm\\:ss}";
        if (p.EvalMetrics is { } m) s += " | validation " + string.Join(" ", m.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F4}")));
        return s;
    }
}
