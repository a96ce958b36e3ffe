using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.FineTune;

/// <summary>
/// Two text tasks from two "data sets": sentiment rows (Topic empty) and topic rows (Sentiment empty). Both are learnable
/// from the same sentences ("the match was great", "the soup was awful").
/// </summary>
internal sealed class MultiTaskRow
{
    public string Text { get; set; } = "";
    public string Sentiment { get; set; } = "";
    public string Topic { get; set; } = "";

    static readonly string[][] TopicWords = [["match", "goal", "team", "coach"], ["soup", "pasta", "bread", "cake"]];
    static readonly string[][] OpinionWords = [["great", "lovely", "superb"], ["awful", "boring", "terrible"]];

    /// <summary><paramref name="sentimentRows"/> rows labelled for sentiment only, then <paramref name="topicRows"/> for topic only.</summary>
    public static List<MultiTaskRow> Generate(int sentimentRows, int topicRows, int seed)
    {
        var random = new Random(seed);
        MultiTaskRow Row(bool forSentiment)
        {
            int topic = random.Next(2), opinion = random.Next(2);
            var text = $"the {TopicWords[topic][random.Next(4)]} was {OpinionWords[opinion][random.Next(3)]}";
            return forSentiment ? new() { Text = text, Sentiment = opinion == 0 ? "pos" : "neg" } : new() { Text = text, Topic = topic == 0 ? "sport" : "food" };
        }
        return [.. Enumerable.Range(0, sentimentRows).Select(_ => Row(true)), .. Enumerable.Range(0, topicRows).Select(_ => Row(false))];
    }

    public static ITaskHead[] Heads() => [new ClassificationHead("sentiment", "Sentiment"), new ClassificationHead("topic", "Topic")];

    public static FineTuneOptions Options(TrainingOptions? training = null) => FineTunePersistenceTests.Quick with
    {
        Heads = Heads(),
        Training = training ?? new TrainingOptions { LearningRate = 3e-3, Epochs = 3, BatchSize = 16, LoggingSteps = 1000 },
    };

    /// <summary>Share of rows whose predicted label (key value) equals the label in <paramref name="truth"/>.</summary>
    public static double Accuracy(IDataView scored, string head, IReadOnlyList<string> truth)
    {
        var keyNames = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema[$"{head}.PredictedLabel"].GetKeyValues(ref keyNames);
        var names = keyNames.DenseValues().Select(n => n.ToString()).ToArray();
        var predicted = scored.GetColumn<uint>($"{head}.PredictedLabel").ToArray();
        return predicted.Select((p, i) => names[p - 1] == truth[i]).Average(ok => ok ? 1.0 : 0.0);
    }
}
