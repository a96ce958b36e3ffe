using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Cli.Training;
using MLNet.FineTune.Evaluation;

namespace MLNet.FineTune.Cli.Reports;

/// <summary>What <c>evaluate</c> found: metrics, a per-class (or per-entity-type) table, and the rows it got wrong.</summary>
internal sealed class ModelEvaluation
{
    public required string Task { get; init; }
    public required int Rows { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    /// <summary>Per class (classification) or per entity type (NER): name, precision, recall, F1, support.</summary>
    public required IReadOnlyList<ClassScore> PerClass { get; init; }
    /// <summary>One JSON object per misclassified row (NER: per sentence with a wrong tag; regression: the 100 largest errors), worst first.</summary>
    public required IReadOnlyList<Dictionary<string, object?>> Errors { get; init; }
    public ClassificationReport? Classification { get; init; }

    public const string ErrorsFile = "errors.jsonl", MetricsFile = "metrics.json";
    const int RegressionErrorsKept = 100;

    public static ModelEvaluation Run(MLContext ml, FineTuneTransformer model, LabelledData data, CliTask task)
    {
        var scored = model.Transform(data.ToDataView(ml, task == CliTask.Ner ? CliTask.Classification : task));
        return task switch
        {
            CliTask.Ner => Entities(scored, data),
            CliTask.Regression => Numbers(scored, data),
            _ => Classes(scored, data, model.Heads[0].LabelNames, CliTasks.Name(task)),
        };
    }

    /// <summary>
    /// A multi-task model: each head on the rows labelled for it; metrics and classes are named <c>head.metric</c> and
    /// <c>head:class</c>, each error row carries its <c>head</c>.
    /// </summary>
    public static ModelEvaluation RunMultiTask(MLContext ml, FineTuneTransformer model, LabelledData data, IReadOnlyList<HeadSpec> heads)
    {
        var scored = model.Transform(data.ToDataView(ml, CliTask.MultiTask, heads));
        var metrics = new Dictionary<string, double>();
        var perClass = new List<ClassScore>();
        var errors = new List<Dictionary<string, object?>>();
        foreach (var head in heads)
        {
            var labels = data.HeadLabels![head.Name];
            var rows = Enumerable.Range(0, data.Count).Where(r => labels[r].Length > 0).ToList();
            if (rows.Count == 0) continue;
            var subset = data.Subset(rows, labels);
            var description = model.Heads.Single(h => h.Name == head.Name);
            var one = head.Kind == HeadKind.Regression
                ? Numbers(scored.GetColumn<float>(head.Name + ".Score").ToArray(), rows, subset)
                : Classes(Probabilities(scored, head.Name + "."), rows, subset, description.LabelNames, head.Name);
            foreach (var (k, v) in one.Metrics) metrics[head.Name + "." + k] = v;
            perClass.AddRange(one.PerClass.Select(c => c with { Label = head.Name + ":" + c.Label }));
            errors.AddRange(one.Errors.Select(e => new Dictionary<string, object?> { ["head"] = head.Name }.Concat(e).ToDictionary()));
        }
        return new ModelEvaluation { Task = CliTasks.Name(CliTask.MultiTask), Rows = data.Count, Metrics = metrics, PerClass = perClass, Errors = errors };
    }

    /// <summary>A SetFit model (embedding body, classifier head, label mapping): classification on its Score and the label's key names.</summary>
    public static ModelEvaluation RunSetFit(MLContext ml, ITransformer model, LabelledData data)
    {
        var scored = model.Transform(data.ToDataView(ml, CliTask.Classification));
        VBuffer<ReadOnlyMemory<char>> names = default;
        scored.Schema[LabelledData.LabelColumn].GetKeyValues(ref names);
        return Classes(scored, data, names.DenseValues().Select(n => n.ToString()).ToList(), CliTasks.Name(CliTask.SetFit));
    }

    static Dictionary<string, object?> Row(LabelledData data, int r)
    {
        var row = new Dictionary<string, object?> { ["line"] = data.Lines[r], ["text"] = data.Texts[r] };
        if (data.Pairs is not null) row["text_pair"] = data.Pairs[r];
        return row;
    }

    static List<float[]> Probabilities(IDataView scored, string prefix = "") =>
        scored.Schema[prefix + "PredictedLabel"].Type is BooleanDataViewType
            ? scored.GetColumn<float>(prefix + "Probability").Select(p => new[] { 1 - p, p }).ToList()
            : scored.GetColumn<VBuffer<float>>(prefix + "Score").Select(v => v.DenseValues().ToArray()).ToList();

    static ModelEvaluation Classes(IDataView scored, LabelledData data, IReadOnlyList<string> labels, string task) =>
        Classes(Probabilities(scored), null, data, labels, task);

    /// <param name="rows">The rows of <paramref name="all"/> that <paramref name="data"/> holds (one head's labelled rows), or null for all.</param>
    static ModelEvaluation Classes(List<float[]> all, IReadOnlyList<int>? rows, LabelledData data, IReadOnlyList<string> labels, string task)
    {
        var probabilities = rows is null ? all : rows.Select(r => all[r]).ToList();
        var report = ClassificationReport.Create(labels, data.Labels, probabilities);
        var errors = new List<(double Confidence, Dictionary<string, object?> Row)>();
        for (int r = 0; r < data.Count; r++)
        {
            int p = ClassificationReport.ArgMax(probabilities[r]);
            if (labels[p] == data.Labels[r]) continue;
            var row = Row(data, r);
            row["gold"] = data.Labels[r];
            row["predicted"] = labels[p];
            row["confidence"] = probabilities[r][p];
            int g = labels.ToList().IndexOf(data.Labels[r]);
            row["gold_probability"] = g >= 0 ? probabilities[r][g] : 0f;
            row["scores"] = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => probabilities[r][x.i]);
            errors.Add((probabilities[r][p], row));
        }
        return new ModelEvaluation
        {
            Task = task, Rows = data.Count, Metrics = report.Metrics, PerClass = report.PerClass, Classification = report,
            Errors = errors.OrderByDescending(e => e.Confidence).Select(e => e.Row).ToList(),
        };
    }

    static ModelEvaluation Numbers(IDataView scored, LabelledData data) => Numbers(scored.GetColumn<float>("Score").ToArray(), null, data);

    static ModelEvaluation Numbers(float[] all, IReadOnlyList<int>? rows, LabelledData data)
    {
        var gold = data.NumericLabels();
        var predicted = rows is null ? all : rows.Select(r => all[r]).ToArray();
        var errors = Enumerable.Range(0, data.Count).OrderByDescending(r => Math.Abs(predicted[r] - gold[r])).Take(RegressionErrorsKept).Select(r =>
        {
            var row = Row(data, r);
            row["gold"] = gold[r]; row["predicted"] = predicted[r]; row["error"] = predicted[r] - gold[r];
            return row;
        }).ToList();
        return new ModelEvaluation { Task = "regression", Rows = data.Count, Metrics = RegressionReport.Metrics(gold, predicted), PerClass = [], Errors = errors };
    }

    static ModelEvaluation Entities(IDataView scored, LabelledData data)
    {
        var gold = data.Labels.Select(l => (IReadOnlyList<string>)l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        // A sentence cut at the max length has tags for its first words only: the rest count as "O".
        var predicted = scored.GetColumn<VBuffer<ReadOnlyMemory<char>>>("PredictedTags")
            .Select((v, r) => (IReadOnlyList<string>)v.DenseValues().Select(t => t.ToString()).Concat(Enumerable.Repeat("O", Math.Max(0, gold[r].Count - v.Length))).Take(gold[r].Count).ToList())
            .ToList();
        var report = SeqevalMetrics.Evaluate(gold, predicted);
        var errors = new List<Dictionary<string, object?>>();
        for (int r = 0; r < data.Count; r++)
        {
            if (gold[r].SequenceEqual(predicted[r])) continue;
            var row = new Dictionary<string, object?> { ["line"] = data.Lines[r], ["tokens"] = data.Tokens?[r] ?? data.Texts[r].Split(' '), ["gold"] = gold[r], ["predicted"] = predicted[r] };
            row["wrong"] = Enumerable.Range(0, gold[r].Count).Where(i => gold[r][i] != predicted[r][i]).ToArray();
            errors.Add(row);
        }
        var metrics = new Dictionary<string, double>
        {
            ["precision"] = report.Micro.Precision, ["recall"] = report.Micro.Recall, ["f1"] = report.Micro.F1,
            ["macro_f1"] = report.Macro.F1, ["weighted_f1"] = report.Weighted.F1, ["token_accuracy"] = report.Accuracy,
        };
        return new ModelEvaluation
        {
            Task = "ner", Rows = data.Count, Metrics = metrics,
            PerClass = report.PerType.Select(t => new ClassScore(t.Type, t.Precision, t.Recall, t.F1, t.Support)).ToList(), Errors = errors,
        };
    }

    /// <summary>errors.jsonl, metrics.json and (classification) confusion.png in <paramref name="folder"/>; returns the file names.</summary>
    public IReadOnlyList<string> Write(string folder, object summary)
    {
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        using (var writer = new StreamWriter(Path.Combine(folder, ErrorsFile)))
            foreach (var e in Errors) writer.WriteLine(JsonSerializer.Serialize(e, JsonLine));
        files.Add(ErrorsFile);
        File.WriteAllText(Path.Combine(folder, MetricsFile), JsonSerializer.Serialize(summary, JsonOutput.Options));
        files.Add(MetricsFile);
        if (Classification is { } c)
        {
            Plots.Confusion(Path.Combine(folder, Plots.ConfusionFile), c.Labels, c.Confusion);
            files.Add(Plots.ConfusionFile);
        }
        return files;
    }

    static readonly JsonSerializerOptions JsonLine = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
}
