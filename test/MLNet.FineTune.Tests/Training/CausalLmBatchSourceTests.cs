using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Tests.Generation;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Training;

/// <summary>
/// <see cref="CausalLmBatchSource"/> through the unchanged <see cref="Trainer{TBatch}"/>: a tiny GPT-2 learns a
/// counting pattern (packed and unpacked), validation loss and perplexity, and a resumed run is bit-exact.
/// </summary>
[TestClass]
[DoNotParallelize]
public class CausalLmBatchSourceTests
{
    /// <summary>Sequences counting up by a per-example step from a start (mod 40): learnable by a tiny decoder. The first two tokens are the "prompt".</summary>
    static List<CausalLmSequence> Counting(int count, int seed)
    {
        var random = new Random(seed);
        var list = new List<CausalLmSequence>();
        for (int i = 0; i < count; i++)
        {
            int start = random.Next(40), step = 1 + random.Next(2), length = 4 + random.Next(6);
            var ids = Enumerable.Range(0, length).Select(t => (start + t * step) % 40).ToArray();
            list.Add(new CausalLmSequence(ids, [.. ids.Select((id, t) => t < 2 ? -100 : id)]));
        }
        return list;
    }

    static readonly TrainingOptions Options = new()
    {
        LearningRate = 1e-2, Epochs = 3, BatchSize = 4, GradientAccumulationSteps = 2, MaxGradNorm = 1.0, WarmupRatio = 0.1,
        EvaluationStrategy = EvaluationStrategy.Epoch, LoadBestModelAtEnd = true, CheckpointEverySteps = 2, KeepLastCheckpoints = 2,
    };

    static ICausalLanguageModel Model(long seed) => TinyDecoders.Create(TinyDecoders.Gpt2Config with { ResidualDropout = 0.1, EmbeddingDropout = 0.1, AttentionDropout = 0.1 }, seed);

    [TestMethod]
    [DataRow(null)]
    [DataRow(24)]
    public void ATinyDecoderLearnsThroughTheTrainer(int? packToLength)
    {
        var train = new CausalLmBatchSource(Counting(48, seed: 1), padId: 0, packToLength);
        var validation = new CausalLmBatchSource(Counting(12, seed: 2), padId: 0);
        var model = Model(seed: 3);
        model.Module.eval();
        var before = CausalLmEvaluation.Evaluate(model, validation, 4);
        var history = new Trainer<CausalLmBatch>(Options with { Epochs = 6 })
            .Train(new CausalLmTrainingModel(model), train, () => CausalLmEvaluation.Evaluate(model, validation, 4));
        var after = history.Evaluations[^1].Metrics;
        Assert.IsTrue(after["loss"] < 0.6 * before["loss"], $"validation loss {before["loss"]:F3} → {after["loss"]:F3}");
        Assert.AreEqual(Math.Exp(after["loss"]), after["perplexity"], 1e-9);
        if (packToLength is not null) Assert.IsTrue(train.Count < 48, $"packing 48 sequences into rows of 24 gives fewer rows ({train.Count})");
    }

    [TestMethod]
    public void ValidationLossIsATokenMeanIndependentOfBatchingAndPacking()
    {
        var model = Model(seed: 3);
        model.Module.eval();
        var sequences = Counting(10, seed: 4);
        double one = CausalLmEvaluation.Evaluate(model, new CausalLmBatchSource(sequences, 0), 10)["loss"];
        Assert.AreEqual(one, CausalLmEvaluation.Evaluate(model, new CausalLmBatchSource(sequences, 0), 3)["loss"], 1e-5);
        Assert.AreEqual(one, CausalLmEvaluation.Evaluate(model, new CausalLmBatchSource(sequences, 0, packToLength: 20), 2)["loss"], 1e-5);
    }

    [TestMethod]
    public void ResumeReproducesTheUninterruptedRunExactly()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnet-ft-causal-resume-" + Guid.NewGuid().ToString("N"));
        try
        {
            var train = new CausalLmBatchSource(Counting(20, seed: 1), padId: 0, packToLength: 16);
            var validation = new CausalLmBatchSource(Counting(6, seed: 2), padId: 0);
            var reference = Model(seed: 3);
            var expected = new Trainer<CausalLmBatch>(Options)
                .Train(new CausalLmTrainingModel(reference), train, () => CausalLmEvaluation.Evaluate(reference, validation, 4));

            using var cts = new CancellationTokenSource();
            var interrupted = Model(seed: 3);
            var partial = new Trainer<CausalLmBatch>(Options with { CheckpointFolder = folder }, new InlineProgress(p => { if (p.Step == 3) cts.Cancel(); }))
                .Train(new CausalLmTrainingModel(interrupted), train, () => CausalLmEvaluation.Evaluate(interrupted, validation, 4), cts.Token);
            Assert.AreEqual(StopReason.Cancelled, partial.StopReason);

            var resumed = Model(seed: 99);
            var rest = new Trainer<CausalLmBatch>(Options with { CheckpointFolder = folder, ResumeFromLatestCheckpoint = true, CheckpointEverySteps = 0 })
                .Train(new CausalLmTrainingModel(resumed), train, () => CausalLmEvaluation.Evaluate(resumed, validation, 4));
            Assert.AreEqual(3, rest.ResumedFromStep);
            Assert.AreEqual(expected.GlobalStep, rest.GlobalStep);
            CollectionAssert.AreEqual(expected.Steps, rest.Steps);
            WeightAssert.Equal(Weights(reference), Weights(resumed));

            var otherData = new CausalLmBatchSource(Counting(20, seed: 7), padId: 0, packToLength: 16);
            Assert.AreNotEqual(train.Fingerprint, otherData.Fingerprint);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    static Dictionary<string, float[]> Weights(ICausalLanguageModel model) =>
        model.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().data<float>().ToArray());
}
