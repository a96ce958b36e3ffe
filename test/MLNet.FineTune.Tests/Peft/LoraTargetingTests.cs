using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using static MLNet.FineTune.Tests.Peft.PeftTestModels;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Peft;

[TestClass]
public class LoraTargetingTests
{
    static IReadOnlyList<string> Targets(LoraOptions options, string modelType = "bert")
    {
        var lora = new LoraModel(modelType);
        EncoderFactory.Create(Tiny(modelType), lora.Projection);
        return lora.AddAdapter("default", options);
    }

    [TestMethod]
    public void DefaultsAreQueryValueForBertAndQLinVLinForDistilBert()
    {
        CollectionAssert.AreEqual(new[] { "encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.value",
            "encoder.layer.1.attention.self.query", "encoder.layer.1.attention.self.value" }, Targets(new LoraOptions()).ToArray());
        CollectionAssert.AreEqual(new[] { "transformer.layer.0.attention.q_lin", "transformer.layer.0.attention.v_lin",
            "transformer.layer.1.attention.q_lin", "transformer.layer.1.attention.v_lin" }, Targets(new LoraOptions(), "distilbert").ToArray());
    }

    [TestMethod]
    public void ListMatchesExactPathsOrDotSuffixesOnly()
    {
        // "dense" is a suffix of attention.output.dense, intermediate.dense, output.dense and pooler.dense
        Assert.AreEqual(7, Targets(new LoraOptions { TargetModules = new[] { "dense" } }).Count);
        // "ery" is not a whole name segment, so it matches nothing
        Assert.ThrowsExactly<ArgumentException>(() => Targets(new LoraOptions { TargetModules = new[] { "ery" } }));
        CollectionAssert.AreEqual(new[] { "encoder.layer.1.output.dense" },
            Targets(new LoraOptions { TargetModules = new[] { "encoder.layer.1.output.dense" } }).ToArray());
    }

    [TestMethod]
    public void PatternIsAFullMatchRegex()
    {
        CollectionAssert.AreEqual(new[] { "encoder.layer.0.attention.self.query" },
            Targets(new LoraOptions { TargetModulesPattern = @".*\.0\.attention\.self\.query" }).ToArray());
        // full match: a pattern matching only part of the path selects nothing
        var e = Assert.ThrowsExactly<ArgumentException>(() => Targets(new LoraOptions { TargetModulesPattern = "query" }));
        StringAssert.Contains(e.Message, "not found in the base model");
    }

    [TestMethod]
    public void AllLinearWrapsEveryEncoderProjectionAndExclusionsWin()
    {
        Assert.AreEqual(2 * 6 + 1, Targets(new LoraOptions { TargetModulesPattern = LoraOptions.AllLinear }).Count);
        var t = Targets(new LoraOptions { TargetModulesPattern = LoraOptions.AllLinear, ExcludeModules = new[] { "pooler.dense", "key" } });
        Assert.AreEqual(2 * 5, t.Count);
        Assert.IsFalse(t.Any(p => p.EndsWith(".key") || p.StartsWith("pooler")));
    }

    [TestMethod]
    public void InvalidOptionsGiveOneClearErrorEach()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new LoraOptions { Rank = 0 }.Validate()).Message, "Rank");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new LoraOptions { Dropout = 1.5 }.Validate()).Message, "Dropout");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new LoraOptions { TargetModulesPattern = "(" }.Validate()).Message, "regular expression");
    }

    [TestMethod]
    public void NamedAdaptersAddActivateDisableAndRemoveOnOneBase()
    {
        var options = new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { InitLoraWeights = false } };
        var (plain, peft, model) = Pair(options);
        var lora = model.Lora!;
        lora.AddAdapter("second", new LoraOptions { TargetModules = new[] { "key" }, InitLoraWeights = false });
        using var _ = no_grad();
        var input = Batch();
        var baseOut = plain.Forward(input).LastHiddenState;
        var first = peft.Forward(input).LastHiddenState;
        CollectionAssert.AreEqual(new[] { "default" }, lora.ActiveAdapters.ToArray());

        lora.SetActiveAdapters("second");
        var second = peft.Forward(input).LastHiddenState;
        Assert.IsTrue(MaxDiff(second, first) > 1e-3 && MaxDiff(second, baseOut) > 1e-3);

        using (lora.DisableAdapters())
            Assert.AreEqual(0.0, MaxDiff(peft.Forward(input).LastHiddenState, baseOut), 1e-6);
        Assert.AreEqual(0.0, MaxDiff(peft.Forward(input).LastHiddenState, second), 1e-6, "re-enabled after the scope");

        lora.SetActiveAdapters("default", "second");
        var both = peft.Forward(input).LastHiddenState;
        Assert.IsTrue(MaxDiff(both, first) > 1e-3 && MaxDiff(both, second) > 1e-3);

        lora.DeleteAdapter("second");
        Assert.IsFalse(peft.named_parameters().Any(p => p.name.Contains(".second.")));
        CollectionAssert.AreEqual(new[] { "default" }, lora.ActiveAdapters.ToArray());
        Assert.AreEqual(0.0, MaxDiff(peft.Forward(input).LastHiddenState, first), 1e-6);
        Assert.ThrowsExactly<ArgumentException>(() => lora.SetActiveAdapters("second"));
    }

    [TestMethod]
    public void OnlyTheActiveAdapterTrains()
    {
        var (_, _, model) = Pair(new PeftOptions { Method = PeftMethod.Lora });
        model.Lora!.AddAdapter("other", new LoraOptions());
        model.RefreshTrainable();
        var trainable = model.NamedParameters().Where(p => p.Parameter.requires_grad).Select(p => p.Name).ToList();
        Assert.AreEqual(8, trainable.Count);
        Assert.IsTrue(trainable.All(n => n.Contains(".default.")));
        model.Lora.SetActiveAdapters("other");
        model.RefreshTrainable();
        Assert.IsTrue(model.NamedParameters().Where(p => p.Parameter.requires_grad).All(p => p.Name.Contains(".other.")));
    }
}
