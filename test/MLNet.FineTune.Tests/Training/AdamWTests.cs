using MLNet.FineTune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Training;

[TestClass]
[DoNotParallelize]
public class AdamWTests
{
    static void Backward(TinyModel model, TinyBatch batch)
    {
        model.Mlp.zero_grad();
        using var scope = NewDisposeScope();
        model.ComputeLoss(batch).backward();
    }

    [TestMethod]
    public void MatchesTorchSharpAdamWOverSeveralSteps()
    {
        var ours = new TinyModel(dropout: 0);
        var theirs = new TinyModel(dropout: 0);
        var batch = new TinyData(16).All();
        using var adam = new AdamW(ParameterGroups.Single(ours.Mlp.named_parameters(), 0.05), learningRate: 1e-2);
        using var reference = optim.AdamW(theirs.Mlp.parameters(), lr: 1e-2, weight_decay: 0.05);
        for (int step = 0; step < 6; step++)
        {
            Backward(ours, batch);
            adam.Step();
            Backward(theirs, batch);
            reference.step();
        }
        WeightAssert.Equal(theirs.Weights(), ours.Weights(), tolerance: 1e-6);
        Assert.AreEqual(6, adam.StepCount);
        Assert.IsTrue(WeightAssert.Differ(new TinyModel(dropout: 0).Weights(), ours.Weights()), "the weights must have moved");
    }

    [TestMethod]
    public void NoDecayGroupIsNotDecayedAndDecayGroupShrinksByLrTimesDecay()
    {
        var model = new TinyModel();
        var groups = ParameterGroups.ForTransformer(model.Mlp, weightDecay: 0.1);
        var before = model.Weights();
        using (no_grad())
            foreach (var (_, p) in model.Mlp.named_parameters()) p.grad = zeros_like(p);
        using var adam = new AdamW(groups, learningRate: 0.5);
        adam.Step();
        var after = model.Weights();
        // Zero gradients leave only the decoupled decay: p * (1 - lr * wd) for decay, p unchanged for no-decay.
        foreach (var name in groups[1].ParameterNames) CollectionAssert.AreEqual(before[name], after[name], name);
        foreach (var name in groups[0].ParameterNames)
            for (int i = 0; i < before[name].Length; i++)
                Assert.AreEqual(before[name][i] * 0.95f, after[name][i], 1e-7, name);
    }

    [TestMethod]
    public void SavedStateResumesIdentically()
    {
        var a = new TinyModel(dropout: 0);
        var b = new TinyModel(dropout: 0);
        var batch = new TinyData(8).All();
        using var adamA = new AdamW(ParameterGroups.ForTransformer(a.Mlp, 0.01), 1e-2);
        for (int i = 0; i < 2; i++) { Backward(a, batch); adamA.Step(); }
        var stream = new MemoryStream();
        adamA.Save(new BinaryWriter(stream));
        using (var snapshot = WeightSnapshot.Capture(a.Mlp)) snapshot.RestoreInto(b.Mlp);

        using var adamB = new AdamW(ParameterGroups.ForTransformer(b.Mlp, 0.01), 1e-2);
        stream.Position = 0;
        adamB.Load(new BinaryReader(stream));
        Assert.AreEqual(2, adamB.StepCount);
        Backward(a, batch); adamA.Step();
        Backward(b, batch); adamB.Step();
        WeightAssert.Equal(a.Weights(), b.Weights());
    }

    [TestMethod]
    public void LoadRejectsStateOfOtherParameters()
    {
        var model = new TinyModel();
        using var full = new AdamW(ParameterGroups.ForTransformer(model.Mlp, 0.01), 1e-3);
        using var partial = new AdamW(ParameterGroups.Single(model.Mlp.First.named_parameters(), 0.01), 1e-3);
        var stream = new MemoryStream();
        full.Save(new BinaryWriter(stream));
        stream.Position = 0;
        var e = Assert.ThrowsExactly<InvalidDataException>(() => partial.Load(new BinaryReader(stream)));
        StringAssert.Contains(e.Message, "expected 2 parameters, found 6");
    }

    [TestMethod]
    public void ParametersWithoutGradientAreSkipped()
    {
        var model = new TinyModel();
        var before = model.Weights();
        using var adam = new AdamW(ParameterGroups.ForTransformer(model.Mlp, 0.5), 1e-1);
        adam.Step(); // no backward: no gradients, so nothing (not even weight decay) may change, as in PyTorch
        WeightAssert.Equal(before, model.Weights());
        Assert.AreEqual(0, adam.StepCount);
    }

    [TestMethod]
    public void SameParameterInTwoGroupsIsRejected()
    {
        var model = new TinyModel();
        var named = model.Mlp.named_parameters().ToList();
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            new AdamW([new ParameterGroup("a", named, 0), new ParameterGroup("b", named.Take(1), 0)], 1e-3));
        StringAssert.Contains(e.Message, "fc1.weight");
    }
}
