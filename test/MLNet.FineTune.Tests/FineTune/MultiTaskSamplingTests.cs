using Microsoft.ML;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.FineTune;

[TestClass]
[DoNotParallelize]
public class MultiTaskSamplingTests
{
    [TestMethod]
    [DataRow(TaskSampling.Mixed, 6)]
    [DataRow(TaskSampling.Proportional, 6)]
    [DataRow(TaskSampling.RoundRobin, 8)]
    public void EveryModeFitsBothHeadsWithItsOwnEpochLength(TaskSampling sampling, int batchesPerEpoch)
    {
        // 64 sentiment rows (4 batches of 16) and 32 topic rows (2 batches): RoundRobin's epoch is 4 rounds of 2 batches.
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { if (e.Message.Contains("task group", StringComparison.OrdinalIgnoreCase)) messages.Add(e.Message); };
        var rows = MultiTaskRow.Generate(64, 32, seed: 4);
        var data = ml.Data.LoadFromEnumerable(rows);
        var training = new TrainingOptions { LearningRate = 3e-3, Epochs = 6, BatchSize = 16, LoggingSteps = 1000, TaskSampling = sampling };
        var model = ml.Transforms.FineTune(MultiTaskRow.Options(training)).Fit(data);

        Assert.AreEqual(6 * batchesPerEpoch, model.History.GlobalStep);
        Assert.IsTrue(model.History.Steps[^1].Loss < model.History.Steps[0].Loss, "training loss should go down");
        var scored = model.Transform(ml.Data.LoadFromEnumerable(MultiTaskRow.Generate(0, 0, 0)));
        Assert.IsNotNull(scored.Schema.GetColumnOrNull("sentiment.PredictedLabel"));
        Assert.IsNotNull(scored.Schema.GetColumnOrNull("topic.PredictedLabel"));
        if (sampling == TaskSampling.Mixed) Assert.AreEqual(0, messages.Count, string.Join("\n", messages));
        else
        {
            Assert.IsTrue(messages.Any(m => m.Contains("group 1 = sentiment: 64 rows, group 2 = topic: 32 rows")), string.Join("\n", messages));
            Assert.IsTrue(messages.Any(m => m.Contains($"Task sampling {sampling} over 2 task groups")), string.Join("\n", messages));
        }
    }
}
