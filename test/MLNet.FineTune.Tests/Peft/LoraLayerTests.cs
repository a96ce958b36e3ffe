using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using static MLNet.FineTune.Tests.Peft.PeftTestModels;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Peft;

[TestClass]
public class LoraLayerTests
{
    static readonly PeftOptions RandomB = new() { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 4, Alpha = 8, InitLoraWeights = false } };

    [TestMethod]
    public void FreshAdapterChangesNothing()
    {
        var (plain, peft, _) = Pair(new PeftOptions { Method = PeftMethod.Lora });
        using var _ = no_grad();
        var input = Batch();
        Assert.AreEqual(0.0, MaxDiff(peft.Forward(input).LastHiddenState, plain.Forward(input).LastHiddenState), 1e-7);
    }

    [TestMethod]
    public void OutputsEqualBeforeMergeAfterMergeAndAfterUnmerge()
    {
        var (plain, peft, model) = Pair(RandomB);
        using var _ = no_grad();
        var input = Batch();
        var baseOut = plain.Forward(input).LastHiddenState;
        var before = peft.Forward(input).LastHiddenState;
        Assert.IsTrue(MaxDiff(before, baseOut) > 1e-3, "a random-B adapter must change the output");
        model.Lora!.Merge();
        Assert.IsTrue(model.Lora.Layers.Values.Where(l => l.Adapters.Count > 0).All(l => l.MergedAdapters.Count == 1));
        Assert.AreEqual(0.0, MaxDiff(peft.Forward(input).LastHiddenState, before), 1e-4);
        model.Lora.Unmerge();
        Assert.AreEqual(0.0, MaxDiff(peft.Forward(input).LastHiddenState, before), 1e-4);
        var query = model.Lora.Layers["encoder.layer.0.attention.self.query"].BaseLayer.weight!;
        Assert.AreEqual(0.0, MaxDiff(query, plain.state_dict()["encoder.layer.0.attention.self.query.weight"]), 1e-6, "unmerge restores the base weight");
    }

    [TestMethod]
    public void MergeAndUnloadGivesPlainWeights()
    {
        var (_, peft, model) = Pair(RandomB);
        using var _ = no_grad();
        var input = Batch();
        var before = peft.Forward(input).LastHiddenState;
        model.Lora!.MergeAndUnload();
        Assert.AreEqual(0, model.Lora.Adapters.Count);
        Assert.IsFalse(peft.named_parameters().Any(p => p.name.Contains("lora_")));
        var plainAgain = EncoderFactory.Create(Tiny());
        var report = StateDictLoader.Load(plainAgain, LoraModel.PlainStateDict(peft), "merged");
        Assert.AreEqual(0, report.Missing.Count + report.Unexpected.Count, report.ToString());
        plainAgain.eval();
        Assert.AreEqual(0.0, MaxDiff(plainAgain.Forward(input).LastHiddenState, before), 1e-4);
    }

    [TestMethod]
    public void MergeRefusesNonFiniteAdapterAndLeavesWeightUnchanged()
    {
        var (_, _, model) = Pair(RandomB);
        var layer = model.Lora!.Layers["encoder.layer.1.attention.self.value"];
        using (no_grad()) layer.LoraB("default").weight![0, 0] = float.NaN;
        var original = layer.BaseLayer.weight!.clone();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => model.Lora.Merge());
        StringAssert.Contains(e.Message, "encoder.layer.1.attention.self.value");
        StringAssert.Contains(e.Message, "'default'");
        Assert.IsTrue(layer.BaseLayer.weight!.equal(original).all().item<bool>());
        Assert.AreEqual(0, layer.MergedAdapters.Count);
    }

    [TestMethod]
    public void ScalingIsAlphaOverRankOrOverSqrtRankWithRslora()
    {
        var (_, _, model) = Pair(new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 4, Alpha = 16 } });
        Assert.AreEqual(4.0, model.Lora!.Layers["encoder.layer.0.attention.self.query"].Scaling("default"));
        model.Lora.AddAdapter("rs", new LoraOptions { Rank = 4, Alpha = 16, UseRslora = true });
        Assert.AreEqual(8.0, model.Lora.Layers["encoder.layer.0.attention.self.query"].Scaling("rs"));
    }

    [TestMethod]
    public void InitIsKaimingUniformForAAndZeroForB()
    {
        var (_, _, model) = Pair(new PeftOptions { Method = PeftMethod.Lora });
        var layer = model.Lora!.Layers["encoder.layer.0.attention.self.query"];
        var a = layer.LoraA("default").weight!;
        CollectionAssert.AreEqual(new long[] { 8, 32 }, a.shape);
        CollectionAssert.AreEqual(new long[] { 32, 8 }, layer.LoraB("default").weight!.shape);
        Assert.AreEqual(0f, layer.LoraB("default").weight!.abs().sum().item<float>());
        // kaiming_uniform(a=√5) on fan_in 32: bound = √(6 / ((1 + 5) · 32)) = 1/√32
        Assert.IsTrue(a.abs().max().item<float>() <= 1 / Math.Sqrt(32) + 1e-7);
        Assert.IsTrue(a.std().item<float>() > 0.05);
    }
}
