using System.Globalization;
using System.Text;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Cli.Reports;

/// <summary>
/// metrics.csv: one row per optimizer step — <c>step, epoch, train_loss, learning_rate, grad_norm</c> — then
/// <c>validation_loss</c> and one <c>validation_&lt;metric&gt;</c> column per validation metric, filled on the steps where
/// validation ran (the result-file layout of hosted fine-tuning services).
/// </summary>
internal static class MetricsCsv
{
    public const string FileName = "metrics.csv";

    public static void Write(string path, TrainingHistory history)
    {
        var metricNames = history.Evaluations.SelectMany(e => e.Metrics.Keys).Where(k => k != "loss").Distinct().Order(StringComparer.Ordinal).ToList();
        var evaluations = history.Evaluations.GroupBy(e => e.Step).ToDictionary(g => g.Key, g => g.Last().Metrics);
        var csv = new StringBuilder("step,epoch,train_loss,learning_rate,grad_norm,validation_loss");
        foreach (var name in metricNames) csv.Append(",validation_").Append(name.Replace(',', '_'));
        csv.Append('\n');
        foreach (var s in history.Steps)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{s.Step},{s.Epoch:G6},{s.Loss:G9},{s.LearningRate:G9},{s.GradNorm:G6},");
            var m = evaluations.GetValueOrDefault(s.Step);
            csv.Append(Value(m, "loss"));
            foreach (var name in metricNames) csv.Append(',').Append(Value(m, name));
            csv.Append('\n');
        }
        File.WriteAllText(path, csv.ToString());
    }

    static string Value(IReadOnlyDictionary<string, double>? metrics, string name) =>
        metrics is not null && metrics.TryGetValue(name, out var v) ? v.ToString("G9", CultureInfo.InvariantCulture) : "";
}
