using MLNet.FineTune.Peft;
using static MLNet.FineTune.Tests.Peft.PeftTestModels;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Peft;

[TestClass]
public class BottleneckAdapterTests
{
    [TestMethod]
    [DataRow(PeftMethod.Houlsby, "bert", 4)]
    [DataRow(PeftMethod.Pfeiffer, "bert", 2)]
    [DataRow(PeftMethod.Houlsby, "distilbert", 4)]
    [DataRow(PeftMethod.Pfeiffer, "distilbert", 2)]
    public void AdaptersSitOnTheOutputProjectionsAndStartAsIdentity(PeftMethod method, string modelType, int expectedAdapters)
    {
        var (plain, peft, model) = Pair(new PeftOptions { Method = method, Bottleneck = new BottleneckOptions { ReductionFactor = 4 } }, Tiny(modelType));
        Assert.AreEqual(expectedAdapters, model.Bottlenecks.Count);
        Assert.IsTrue(model.Bottlenecks.All(a => a.Path.EndsWith("output.dense") || a.Path.EndsWith("out_lin") || a.Path.EndsWith("ffn.lin2")));
        if (method == PeftMethod.Pfeiffer) Assert.IsFalse(model.Bottlenecks.Any(a => a.Path.Contains("attention")));
        // each adapter: down 32→8 (+8 bias), up 8→32 (+32 bias)
        long adapterParams = peft.named_parameters().Where(p => p.name.Contains(".adapter_")).Sum(p => p.parameter.numel());
        Assert.AreEqual(expectedAdapters * (32 * 8 + 8 + 8 * 32 + 32), adapterParams);
        Assert.AreEqual(adapterParams, model.ParameterReport().Trainable);

        using var _ = no_grad();
        var input = Batch();
        if (modelType == "distilbert") input = input with { TokenTypeIds = null };
        Assert.AreEqual(0.0, MaxDiff(peft.Forward(input).LastHiddenState, plain.Forward(input).LastHiddenState), 1e-6);
    }

    [TestMethod]
    public void TrainedAdapterChangesTheOutput()
    {
        var (plain, peft, model) = Pair(new PeftOptions { Method = PeftMethod.Pfeiffer });
        using var _ = no_grad();
        foreach (var (name, p) in peft.named_parameters().Where(p => p.name.Contains("adapter_up"))) p.normal_(0, 0.5);
        var input = Batch();
        Assert.IsTrue(MaxDiff(peft.Forward(input).LastHiddenState, plain.Forward(input).LastHiddenState) > 1e-3);
    }

    [TestMethod]
    public void UnknownNonLinearityIsRefused()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new PeftModel(new PeftOptions { Method = PeftMethod.Houlsby, Bottleneck = new BottleneckOptions { NonLinearity = "softsign" } }, "bert"));
        StringAssert.Contains(e.Message, "softsign");
    }
}
