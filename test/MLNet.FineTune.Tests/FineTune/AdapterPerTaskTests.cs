using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Data;
using MLNet.FineTune.Scoring;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.FineTune;

[TestClass]
[DoNotParallelize]
public class AdapterPerTaskTests
{
    static FineTuneOptions PerTask(PeftMethod method) => MultiTaskRow.Options(new TrainingOptions
    {
        LearningRate = 3e-3, Epochs = 2, BatchSize = 16, LoggingSteps = 1000, TaskSampling = TaskSampling.RoundRobin,
    }) with { Peft = new PeftOptions { Method = method, AdapterPerTask = true } };

    [TestMethod]
    public void AdapterPerTaskNeedsAnAdapterMethodTwoHeadsAndNoSharedLoraWeights()
    {
        var ml = new MLContext();
        var full = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.FineTune(PerTask(PeftMethod.Full)));
        StringAssert.Contains(full.Message, "PeftOptions.AdapterPerTask needs an adapter method (Lora, Houlsby or Pfeiffer); got Method = Full");
        Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.FineTune(PerTask(PeftMethod.PromptTuning)));
        var oneHead = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.FineTune(PerTask(PeftMethod.Lora) with { Heads = null }));
        StringAssert.Contains(oneHead.Message, "PeftOptions.AdapterPerTask needs at least 2 task heads (FineTuneOptions.Heads); got 1");
        var shared = PerTask(PeftMethod.Lora) with { Peft = new PeftOptions { Method = PeftMethod.Lora, AdapterPerTask = true, Lora = new() { Bias = LoraBias.All } } };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.FineTune(shared)).Message, "LoraOptions.Bias must be None");
    }

    [TestMethod]
    [DataRow(PeftMethod.Lora, "lora_A", "lora_B")]
    [DataRow(PeftMethod.Houlsby, "adapter_down", "adapter_up")]
    [DataRow(PeftMethod.Pfeiffer, "adapter_down", "adapter_up")]
    public void EachHeadTrainsAndUsesOnlyItsOwnAdapterAndTheZipReproducesScores(PeftMethod method, string down, string up)
    {
        var ml = new MLContext(seed: 1);
        var rows = MultiTaskRow.Generate(48, 32, seed: 2);
        var data = ml.Data.LoadFromEnumerable(rows);
        using var model = ml.Transforms.FineTune(PerTask(method)).Fit(data);
        var network = model.Network;

        // One frozen base, one adapter per head: trainable = the two adapters and the two heads.
        var trainable = network.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.IsTrue(trainable.All(n => n.StartsWith("heads.") || n.Contains($".{down}.sentiment.") || n.Contains($".{up}.sentiment.")
            || n.Contains($".{down}.topic.") || n.Contains($".{up}.topic.")), string.Join(", ", trainable));
        foreach (var task in new[] { "sentiment", "topic" })
            Assert.IsTrue(trainable.Any(n => n.Contains($".{down}.{task}.")), $"adapter of {task}");
        Assert.AreEqual(1, network.named_children().Count(c => c.name == "bert"), "one shared encoder");
        StringAssert.Contains(model.Card.PeftMethod, "one adapter per task");

        AssertGradientsConfinedTo(model, "sentiment", "topic", down, up);
        AssertGradientsConfinedTo(model, "topic", "sentiment", down, up);
        AssertScoresUseOwnAdapter(model, data, "topic", up);

        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var loaded = new MLContext().Model.Load(path, out _);
            AssertSameScores(model.Transform(data), loaded.Transform(data));
            ((IDisposable)loaded).Dispose();
        }
        finally { File.Delete(path); }
    }

    /// <summary>Backward of a batch labelled for <paramref name="task"/> only: gradients reach its adapter and head, none the other's.</summary>
    static void AssertGradientsConfinedTo(FineTuneTransformer model, string task, string other, string down, string up)
    {
        var network = model.Network;
        var scorer = (FineTuneScorer)model.Scorer;
        var texts = new[] { "the goal was superb", "the cake was awful", "the team was boring" };
        var encodings = scorer.Encode(texts, null);
        int labelled = network.Tasks.Select(t => t.Name).ToList().IndexOf(task);
        var targets = texts.Select((_, r) => new[] { new[] { labelled == 0 ? r % 2 : float.NaN }, new[] { labelled == 1 ? r % 2 : float.NaN } }).ToArray();
        network.zero_grad();
        using (NewDisposeScope())
        {
            var batch = TextBatchCollator.Collate(encodings, targets, model.Package.Tokenizer.PadTokenId, [false, false]);
            network.ComputeLoss(batch).backward();
        }
        bool Touched(string name) => network.named_parameters().Any(p => p.name == name && p.parameter.grad is { } g && g.abs().max().item<float>() > 0);
        var names = network.named_parameters().Select(p => p.name).ToList();
        Assert.IsTrue(names.Where(n => n.Contains($".{up}.{task}.")).Any(Touched), $"{task}'s loss must train its adapter");
        Assert.IsTrue(names.Where(n => n.StartsWith($"heads.{task}.")).Any(Touched), $"{task}'s loss must train its head");
        var leaked = names.Where(n => n.Contains($".{down}.{other}.") || n.Contains($".{up}.{other}.") || n.StartsWith($"heads.{other}.")).Where(Touched).ToList();
        Assert.AreEqual(0, leaked.Count, $"{task}'s loss reached {other}: {string.Join(", ", leaked)}");
        Assert.IsTrue(network.named_parameters().Where(p => !p.parameter.requires_grad).All(p => p.parameter.grad is null), "the base stays frozen");
        network.zero_grad();
    }

    /// <summary>Changing one task's adapter changes that task's scores only.</summary>
    static void AssertScoresUseOwnAdapter(FineTuneTransformer model, IDataView data, string task, string up)
    {
        var before = Scores(model.Transform(data));
        var adapter = model.Network.named_parameters().Where(p => p.name.Contains($".{up}.{task}.")).ToList();
        // Random, not constant: a constant shift of a bottleneck's output is undone by the LayerNorm after it.
        var saved = adapter.Select(p => p.parameter.detach().clone()).ToList();
        using (no_grad()) foreach (var (_, p) in adapter) p.add_(randn_like(p));
        var after = Scores(model.Transform(data));
        using (no_grad()) for (int i = 0; i < adapter.Count; i++) adapter[i].parameter.copy_(saved[i]);
        foreach (var (column, values) in before)
        {
            double change = values.Zip(after[column]).Max(v => Math.Abs(v.First - v.Second));
            if (column.StartsWith(task + ".")) Assert.IsTrue(change > 1e-4, $"{column} must depend on the {task} adapter");
            else Assert.AreEqual(0.0, change, $"{column} must not depend on the {task} adapter");
        }
    }

    static Dictionary<string, float[]> Scores(IDataView scored) => new[] { "sentiment.Score", "topic.Score" }
        .ToDictionary(c => c, c => scored.GetColumn<VBuffer<float>>(c).SelectMany(v => v.DenseValues()).ToArray());

    internal static void AssertSameScores(IDataView expected, IDataView actual)
    {
        var a = Scores(expected);
        var b = Scores(actual);
        foreach (var (column, values) in a)
            for (int i = 0; i < values.Length; i++) Assert.AreEqual(values[i], b[column][i], 1e-6, $"{column}[{i}]");
    }
}
