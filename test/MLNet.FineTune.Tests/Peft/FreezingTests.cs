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
