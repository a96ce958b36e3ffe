using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Data;
using MLNet.FineTune.Scoring;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Training;

/// <summary>
/// Our encoder + head + AdamW + training loop against the 3-step trajectory Hugging Face computed for bert-seqcls
/// (dropout off, AdamW lr 1e-3, weight decay 0.01 except bias/LayerNorm, no schedule, no clipping).
/// </summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class HuggingFaceTrajectoryTests
{
    [TestMethod]
    public void ThreeAdamWStepsReproduceHuggingFaceLossesAndWeights()
    {
        var reference = JsonNode.Parse(File.ReadAllText(SharedFixtures.HfReference("training/bert-seqcls-adamw-3steps.json")))!;
        var folder = SharedFixtures.HfReference("models/bert-seqcls");
        var config = TransformerConfig.Load(Path.Combine(folder, "config.json")) with { HiddenDropout = 0, AttentionDropout = 0, ClassifierDropout = 0 };
        var checkpoint = CheckpointFolder.ReadStateDict(folder);
        var encoder = EncoderFactory.Create(config);
        StateDictLoader.Load(encoder, checkpoint, folder, "bert.");
        var head = ClassifierModule.ForSequence(config, 3);
        StateDictLoader.Load(head, checkpoint.Where(kv => kv.Key.StartsWith("classifier.")).ToDictionary(kv => kv.Key, kv => kv.Value), folder);
        var task = new HeadDescription(ClassificationHead.KindName, "classification", "Label", new[] { "0", "1", "2" }, "number").Restore();
        var network = new TaskNetwork(encoder, new[] { task }, new[] { head });

        long[][] Rows(string key) => reference[key]!.AsArray().Select(r => r!.AsArray().Select(x => x!.GetValue<long>()).ToArray()).ToArray();
        var ids = Rows("input_ids"); var mask = Rows("attention_mask"); var types = Rows("token_type_ids");
        var labels = reference["labels"]!.AsArray().Select(l => (float)l!.GetValue<int>()).ToArray();
        var shape = new long[] { ids.Length, ids[0].Length };
        var source = new ListBatchSource<int, TextBatch>(new[] { 0 }, _ => ids[0].Length, _ => new TextBatch(
            tensor(ids.SelectMany(r => r).ToArray(), shape), tensor(mask.SelectMany(r => r).ToArray(), shape),
            tensor(types.SelectMany(r => r).ToArray(), shape), new[] { tensor(labels) }, ids.Length));

        var options = new TrainingOptions
        {
            LearningRate = 1e-3, WeightDecay = 0.01, Schedule = LearningRateScheduleKind.Constant, MaxGradNorm = 0, BatchSize = 1,
            MaxSteps = 3, Shuffle = false, EvaluationStrategy = EvaluationStrategy.No, LoadBestModelAtEnd = false,
        };
        var history = new Trainer<TextBatch>(options).Train(network, source);

        var expectedLosses = reference["loss_at_steps_1_2_3_before_update"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
        Assert.AreEqual(3, history.Steps.Count);
        for (int i = 0; i < 3; i++) Assert.AreEqual(expectedLosses[i], history.Steps[i].Loss, 1e-5, $"loss at step {i + 1}");

        var parameters = network.named_parameters().ToDictionary(p => p.name.Replace("heads.classification.", ""), p => p.parameter);
        foreach (var (spec, values) in reference["params_after_3_steps"]!.AsObject())
        {
            var m = Regex.Match(spec, @"^(?<name>[^\[]+)(\[(?<row>\d+)?,?:?(?<n>\d+)?\])?$");
            var p = parameters[m.Groups["name"].Value].detach();
            if (m.Groups["row"].Success) p = p[long.Parse(m.Groups["row"].Value)];
            if (m.Groups["n"].Success) p = p[..int.Parse(m.Groups["n"].Value)];
            var actual = p.data<float>().ToArray();
            var expected = values!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
            for (int j = 0; j < expected.Length; j++)
                Assert.AreEqual(expected[j], actual[j], 1e-5, $"{spec}[{j}] after 3 steps");
        }

        using (no_grad())
        {
            network.eval();
            var after = network.ComputeLoss(source.CreateBatch(new[] { 0 })).item<float>();
            Assert.AreEqual(reference["loss_after_3_steps"]!.GetValue<double>(), after, 1e-5, "loss after 3 updates");
        }
    }
}
