using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using MLNet.FineTune.Heads;
using TorchSharp;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Multi-task learning with one shared encoder against one model per task, in one process with the same built-in model
/// sizes and training settings: (a) SST-2 sentiment alone (accuracy on dev.tsv), (b) WikiANN NER alone (entity F1 on
/// test), (c) both heads over one encoder trained on the union of the rows, each row labelled for one task only.
/// Scoring time: the multi-task transform over the concatenated dev+test texts, against the two single-task models
/// each over its own set, and both single-task models over the same concatenated texts (the like-for-like comparison).
/// </summary>
public static class MultiTaskBenchmark
{
    const string Sentiment = "sentiment", Ner = "ner";
    const string SingleLabel = "PredictedLabel", SingleTags = "PredictedTags";
    const string MultiLabel = Sentiment + ".PredictedLabel", MultiTags = Ner + ".PredictedTags";

    public static string Run(string[] args)
    {
        torch.set_num_threads(2);
        var ml = new MLContext(seed: 1);
        var settings = FineTuneSettings.Parse(args, defaultMaxLength: 128);
        var sst2Train = MultiTaskData.Sst2Train(ml, Flags.Int(args, "--rows-sst2", 8000));
        var nerTrain = MultiTaskData.WikiAnn("train", Flags.Int(args, "--rows-ner", 8000));
        var sst2Dev = MultiTaskData.Sst2Dev(ml);
        var nerTest = MultiTaskData.WikiAnn("test", Flags.Int(args, "--test-rows", 0));
        var allTexts = ml.Data.LoadFromEnumerable(sst2Dev.Concat(nerTest).ToList());

        var sentimentHead = () => new ClassificationHead(Sentiment, MultiTaskData.SentimentColumn);
        var nerHead = () => new TokenClassificationHead(Ner, MultiTaskData.TagsColumn);
        var (sst2Model, sst2Fit) = Fit(ml, settings.Options(sentimentHead()), sst2Train);
        var (nerModel, nerFit) = Fit(ml, settings.Options(nerHead()), nerTrain);
        var (multiModel, multiFit) = Fit(ml, settings.Options(sentimentHead(), nerHead()), sst2Train.Concat(nerTrain).ToList());

        var multi = ScoredColumns.Score(ml, multiModel, allTexts, new[] { MultiTags }, new[] { MultiLabel });
        var sst2Own = ScoredColumns.Score(ml, sst2Model, ml.Data.LoadFromEnumerable(sst2Dev), Array.Empty<string>(), new[] { SingleLabel });
        var nerOwn = ScoredColumns.Score(ml, nerModel, ml.Data.LoadFromEnumerable(nerTest), new[] { SingleTags }, Array.Empty<string>());
        var sst2All = ScoredColumns.Score(ml, sst2Model, allTexts, Array.Empty<string>(), new[] { SingleLabel });
        var nerAll = ScoredColumns.Score(ml, nerModel, allTexts, new[] { SingleTags }, Array.Empty<string>());

        var gold = nerTest.Select(r => r.Tags.Split(' ')).ToList();
        var single = new Dictionary<string, object?>
        {
            ["sst2_dev_accuracy"] = Accuracy(sst2Dev, sst2Own.Labels[SingleLabel]),
            ["ner"] = NerBenchmark.Describe(NerBenchmark.Evaluate(ml, gold, nerOwn.Tags[SingleTags])),
            ["sst2_fit"] = sst2Fit,
            ["ner_fit"] = nerFit,
        };
        var multiTask = new Dictionary<string, object?>
        {
            ["sst2_dev_accuracy"] = Accuracy(sst2Dev, multi.Labels[MultiLabel].Take(sst2Dev.Count).ToList()),
            ["ner"] = NerBenchmark.Describe(NerBenchmark.Evaluate(ml, gold, multi.Tags[MultiTags].Skip(sst2Dev.Count).ToList())),
            ["fit"] = multiFit,
        };
        var scoring = new Dictionary<string, object>
        {
            ["rows_sst2_dev"] = sst2Dev.Count,
            ["rows_ner_test"] = nerTest.Count,
            ["multitask_all_texts_s"] = Math.Round(multi.Seconds, 2),
            ["single_own_sets_s"] = Math.Round(sst2Own.Seconds + nerOwn.Seconds, 2),
            ["single_own_sets_sst2_s"] = Math.Round(sst2Own.Seconds, 2),
            ["single_own_sets_ner_s"] = Math.Round(nerOwn.Seconds, 2),
            ["single_all_texts_s"] = Math.Round(sst2All.Seconds + nerAll.Seconds, 2),
            ["single_all_texts_sst2_s"] = Math.Round(sst2All.Seconds, 2),
            ["single_all_texts_ner_s"] = Math.Round(nerAll.Seconds, 2),
        };
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mode"] = "multitask",
            ["train_rows_sst2"] = sst2Train.Count,
            ["train_rows_ner"] = nerTrain.Count,
            ["single_task"] = single,
            ["multi_task"] = multiTask,
            ["scoring"] = scoring,
            ["hyperparameters"] = settings.Describe(),
            ["peak_rss_mib"] = ProcessMemory.PeakRssMb(),
        });
    }

    static (ITransformer Model, Dictionary<string, object> Fit) Fit(MLContext ml, FineTuneOptions options, List<MultiTaskRow> rows)
    {
        var clock = Stopwatch.StartNew();
        var model = ml.Transforms.FineTune(options).Fit(ml.Data.LoadFromEnumerable(rows));
        double seconds = clock.Elapsed.TotalSeconds;
        return (model, new Dictionary<string, object>
        {
            ["fit_s"] = Math.Round(seconds, 1),
            ["train_examples_per_s"] = Math.Round(rows.Count * (double)options.Training!.Epochs / seconds, 1),
            ["rss_after_fit_mib"] = ProcessMemory.CurrentRssMb(),
        });
    }

    static double Accuracy(List<MultiTaskRow> gold, List<string> predicted) =>
        Math.Round(gold.Zip(predicted).Count(p => p.First.Sentiment == p.Second) / (double)gold.Count, 4);
}
