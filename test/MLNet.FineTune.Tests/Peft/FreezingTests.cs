using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Peft;
using static MLNet.FineTune.Tests.Peft.PeftTestModels;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Peft;

[TestClass]
public class FreezingTests
{
    [TestMethod]
    [DataRow(PeftMethod.Full)]
    [DataRow(PeftMethod.HeadOnly)]
    [DataRow(PeftMethod.BitFit)]
    [DataRow(PeftMethod.Lora)]
    [DataRow(PeftMethod.Houlsby)]
    [DataRow(PeftMethod.Pfeiffer)]
    [DataRow(PeftMethod.PromptTuning)]
    public void GradientsReachOnlyTrainableParametersAndAdamWLeavesFrozenOnesUnchanged(PeftMethod method)
    {
        var config = Tiny();
        var options = new PeftOptions { Method = method, Lora = new LoraOptions { InitLoraWeights = false }, PromptTuning = new PromptTuningOptions { NumVirtualTokens = 3 } };
        var head = new PooledLinearClassifier(config, 3);
        var (_, encoder, model) = Pair(options, config, head);
        encoder.train(); head.train();
        var named = model.NamedParameters().ToList();
        var before = named.ToDictionary(p => p.Name, p => p.Parameter.detach().clone());
        var trainable = model.TrainableParameters();
        Assert.IsTrue(trainable.Count > 0);
        var optimizer = optim.AdamW(trainable, lr: 1e-2);

        var input = Batch();
        var logits = head.Forward(encoder.Forward(model.PrepareInput(input)));
        var loss = nn.functional.cross_entropy(logits, tensor(new long[] { 0, 2 }));
        loss.backward();
        optimizer.step();

        foreach (var (name, p) in named)
        {
            bool shouldTrain = ExpectedTrainable(method, name);
            Assert.AreEqual(shouldTrain, p.requires_grad, $"{method}: {name} requires_grad");
            if (shouldTrain) continue;
            Assert.IsNull(p.grad, $"{method}: frozen {name} got a gradient");
            Assert.IsTrue(p.equal(before[name]).all().item<bool>(), $"{method}: frozen {name} changed");
        }
        // At least one trainable tensor moved (LoRA A moves only once B ≠ 0, hence random B above).
        Assert.IsTrue(named.Where(p => p.Parameter.requires_grad).Any(p => !p.Parameter.equal(before[p.Name]).all().item<bool>()));
    }

    [TestMethod]
    public void FreezeWordEmbeddingsKeepsTheWordTableAndTrainsEverythingElse()
    {
        var config = Tiny();
        var head = new PooledLinearClassifier(config, 3);
        var (_, encoder, model) = Pair(new PeftOptions { Method = PeftMethod.Full, FreezeWordEmbeddings = true }, config, head);
        encoder.train(); head.train();
        var named = model.NamedParameters().ToList();
        var before = named.ToDictionary(p => p.Name, p => p.Parameter.detach().clone());
        var optimizer = optim.AdamW(model.TrainableParameters(), lr: 1e-2);
        nn.functional.cross_entropy(head.Forward(encoder.Forward(model.PrepareInput(Batch()))), tensor(new long[] { 0, 2 })).backward();
        optimizer.step();

        var words = named.Single(p => p.Name.EndsWith(PeftOptions.WordEmbeddingsWeight, StringComparison.Ordinal));
        Assert.IsFalse(words.Parameter.requires_grad);
        Assert.IsNull(words.Parameter.grad, "the frozen word table got a gradient");
        Assert.IsTrue(words.Parameter.equal(before[words.Name]).all().item<bool>(), "the frozen word table changed");
        foreach (var (name, p) in named.Where(p => p.Name != words.Name))
            Assert.IsTrue(p.requires_grad, $"{name} should still train");
        var positions = named.Single(p => p.Name.EndsWith("embeddings.position_embeddings.weight", StringComparison.Ordinal));
        Assert.IsFalse(positions.Parameter.equal(before[positions.Name]).all().item<bool>(), "position embeddings should still train");
        Assert.AreEqual(named.Sum(p => p.Parameter.numel()) - (long)config.VocabSize * config.HiddenSize, model.TrainableParameters().Sum(p => p.numel()));
    }

    [TestMethod]
    [DataRow(PeftMethod.Lora)]
    [DataRow(PeftMethod.BitFit)]
    [DataRow(PeftMethod.HeadOnly)]
    public void FreezeWordEmbeddingsIsRefusedWhereTheTableIsFrozenAlready(PeftMethod method)
    {
        var options = new FineTuneOptions { Peft = new PeftOptions { Method = method, FreezeWordEmbeddings = true } };
        var e = Assert.Throws<ArgumentException>(() => new MLContext(seed: 1).Transforms.FineTune(options));
        StringAssert.Contains(e.Message, "FreezeWordEmbeddings");
        StringAssert.Contains(e.Message, method.ToString());
    }

    [TestMethod]
    public void AFittedModelWithFrozenWordEmbeddingsSavesAndReloadsTheSetting()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(MLNet.FineTune.Samples.SyntheticSentiment.Generate(48, seed: 7));
        var options = MLNet.FineTune.Tests.FineTune.FineTunePersistenceTests.Quick with { Peft = new PeftOptions { FreezeWordEmbeddings = true } };
        var model = ml.Transforms.FineTune(options).Fit(data);
        var words = model.Network.named_parameters().Single(p => p.name.EndsWith(PeftOptions.WordEmbeddingsWeight, StringComparison.Ordinal)).parameter;
        Assert.IsFalse(words.requires_grad);
        var path = Path.Combine(Path.GetTempPath(), $"mlnft-freeze-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var loaded = (FineTuneTransformer)ml.Model.Load(path, out _);
            Assert.IsTrue(loaded.Settings.Peft.FreezeWordEmbeddings);
            CollectionAssert.AreEqual(model.Transform(data).GetColumn<float>("Probability").ToArray(), loaded.Transform(data).GetColumn<float>("Probability").ToArray());
        }
        finally { File.Delete(path); }
    }

    static bool ExpectedTrainable(PeftMethod method, string name) => name.StartsWith("head.") || method switch
    {
        PeftMethod.Full => true,
        PeftMethod.HeadOnly => false,
        PeftMethod.BitFit => name.EndsWith(".bias"),
        PeftMethod.Lora => name.Contains(".lora_"),
        PeftMethod.Houlsby or PeftMethod.Pfeiffer => name.Contains(".adapter_"),
        PeftMethod.PromptTuning => name.StartsWith("prompt."),
        _ => throw new ArgumentException(method.ToString()),
    };
}
