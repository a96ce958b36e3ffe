using MLNet.FineTune.Training;
using ScottPlot;

namespace MLNet.FineTune.Cli.Reports;

/// <summary>The tool's PNG plots (ScottPlot): the training curve and the confusion matrix.</summary>
internal static class Plots
{
    public const string LossFile = "loss.png", ConfusionFile = "confusion.png";

    /// <summary>Train loss per step and validation loss per evaluation (left axis), learning rate (right axis).</summary>
    public static void Loss(string path, TrainingHistory history)
    {
        var plot = new Plot();
        double[] steps = history.Steps.Select(s => (double)s.Step).ToArray();
        var train = plot.Add.ScatterLine(steps, history.Steps.Select(s => s.Loss).ToArray());
        train.LegendText = "train loss";
        var evaluations = history.Evaluations.Where(e => e.Metrics.ContainsKey("loss")).ToList();
        if (evaluations.Count > 0)
        {
            var validation = plot.Add.Scatter(evaluations.Select(e => (double)e.Step).ToArray(), evaluations.Select(e => e.Metrics["loss"]).ToArray());
            validation.LegendText = "validation loss";
            validation.MarkerSize = 7;
        }
        var rate = plot.Add.ScatterLine(steps, history.Steps.Select(s => s.LearningRate).ToArray());
        rate.LegendText = "learning rate";
        rate.LinePattern = LinePattern.Dashed;
        rate.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = "learning rate";
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.Title("Training loss");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 900, 500);
    }

    /// <summary>Counts of gold (rows) by predicted (columns) class, each cell annotated.</summary>
    public static void Confusion(string path, IReadOnlyList<string> labels, int[,] counts)
    {
        int n = labels.Count;
        var plot = new Plot();
        double max = Math.Max(1, counts.Cast<int>().Max());
        // Drawn as rectangles (gold row g at the top when g = 0), shaded white → blue by count, each annotated.
        for (int g = 0; g < n; g++)
            for (int p = 0; p < n; p++)
            {
                double share = counts[g, p] / max;
                double y = n - 1 - g;
                var cell = plot.Add.Rectangle(p - 0.5, p + 0.5, y - 0.5, y + 0.5);
                cell.FillStyle.Color = Colors.White.MixedWith(Color.FromHex("#08519C"), share);
                cell.LineStyle.Color = Colors.White;
                var text = plot.Add.Text(counts[g, p].ToString(System.Globalization.CultureInfo.InvariantCulture), p, y);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = share > 0.5 ? Colors.White : Colors.Black;
                text.LabelFontSize = 16;
            }
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, labels.ToArray());
        plot.Axes.Left.SetTicks(positions, labels.Reverse().ToArray());
        plot.XLabel("predicted");
        plot.YLabel("gold");
        plot.Title("Confusion matrix");
        int size = Math.Clamp(120 + 60 * n, 400, 1600);
        plot.SavePng(path, size, size);
    }
}
