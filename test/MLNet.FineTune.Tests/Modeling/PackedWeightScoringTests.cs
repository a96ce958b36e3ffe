using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.WeightPacking;
using MLNet.FineTune.Generation;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tests.Generation;
using static MLNet.FineTune.Tests.Peft.PeftTestModels;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Modeling;

/// <summary>
/// Scoring through MKL's packed weights (<see cref="PackedWeightScoring"/>): the same numbers as libtorch's linear for
/// every row count it takes, never used with gradients on or past <see cref="PackedWeightScoring.MaxRows"/>, and packed
/// again whenever a weight changes (a LoRA merge, an in-place edit), so that a stale pack can never score.
/// </summary>
[TestClass]
public class PackedWeightScoringTests
{
    [TestInitialize]
    public void RequireMkl()
    {
        if (!PackedWeightScoring.Enabled)
            Assert.Inconclusive($"packed inference is off in this process ({PackedWeightScoring.Variable}=off, or this libtorch exports no MKL packed GEMM)");
    }

    [TestMethod]
    public void PackedProductEqualsLinearForEveryRowCountItTakes()
    {
        manual_seed(11);
        using var _ = no_grad();
        foreach (var (inFeatures, outFeatures) in new[] { (384, 1536), (1536, 384), (32, 37) })
        {
            using var layer = nn.Linear(inFeatures, outFeatures);
            var packs = new PackedWeightScoring();
            foreach (int rows in new[] { 1, 2, 7, 15, 16, 17, 33, 64 })
            {
                using var x = randn(1, rows, inFeatures);
                using var expected = layer.call(x);
                Tensor actual;
                using (packs.Activate()) actual = PackedWeightScoring.Project(layer, x);
                using (actual)
                {
                    CollectionAssert.AreEqual(expected.shape, actual.shape);
                    using var scale = expected.abs().max();
                    double relative = HfReference.MaxAbsDiff(actual, expected) / scale.item<float>();
                    Assert.IsTrue(relative < 1e-5, $"{inFeatures}→{outFeatures}, {rows} rows: relative difference {relative:E2}");
                }
            }
            Assert.AreEqual(8, packs.ProductsComputed, "every row count up to MaxRows is computed packed");
            Assert.AreEqual(1, packs.PacksMade, "one pack serves every row count");
        }
    }

    [TestMethod]
    public void LibtorchLinearRunsWithGradientsOnPastMaxRowsAndOutsideAScorer()
    {
        using var layer = nn.Linear(32, 37);
        var packs = new PackedWeightScoring();
        using (var x = randn(2, 5, 32))
        {
            using (PackedWeightScoring.Project(layer, x)) { }                                   // not scoring
            using (packs.Activate()) using (PackedWeightScoring.Project(layer, x)) { }          // gradients on
            using (no_grad()) using (packs.Activate())
            using (var large = randn(PackedWeightScoring.MaxRows + 1, 32)) using (PackedWeightScoring.Project(layer, large)) { } // too many rows
        }
        Assert.AreEqual(0, packs.ProductsComputed);
        using (no_grad()) using (packs.Activate()) using (var x = randn(3, 32)) using (PackedWeightScoring.Project(layer, x)) { }
        Assert.AreEqual(1, packs.ProductsComputed);
    }

    [TestMethod]
    public void AChangedWeightIsPackedAgainNeverScoredStale()
    {
        using var _ = no_grad();
        using var layer = nn.Linear(64, 48);
        var packs = new PackedWeightScoring();
        using var x = randn(4, 64);
        using (packs.Activate()) using (PackedWeightScoring.Project(layer, x)) { }
        layer.weight!.add_(0.25);                               // in place: same buffer, new values
        using var expected = layer.call(x);
        using (packs.Activate())
        using (var actual = PackedWeightScoring.Project(layer, x))
            Assert.IsTrue(HfReference.MaxAbsDiff(actual, expected) < 1e-5, "scored with the changed weight");
        Assert.AreEqual(2, packs.PacksMade);
        using (packs.Activate()) using (PackedWeightScoring.Project(layer, x)) { }
        Assert.AreEqual(2, packs.PacksMade, "an unchanged weight keeps its pack");
    }

    [TestMethod]
    [DynamicData(nameof(TinyModels.All), typeof(TinyModels))]
    public void EncoderScoresTheSameWithPacks(string type)
    {
        manual_seed(5);
        var plain = EncoderFactory.Create(Tiny(type));
        plain.eval();
        using var _ = no_grad();
        var input = Batch();
        using var expected = plain.Forward(input).LastHiddenState;
        var packs = new PackedWeightScoring();
        using (packs.Activate())
        using (var actual = plain.Forward(input).LastHiddenState)
            Assert.IsTrue(HfReference.MaxAbsDiff(actual, expected) < 1e-5);
        const int projections = 6; // per layer: Q, K, V, attention output, FFN in, FFN out
        Assert.AreEqual(2 * projections, packs.ProductsComputed, "every encoder projection went through the packed product");
    }

    [TestMethod]
    public void LoraMergeAndUnmergeRepackTheBaseWeights()
    {
        var options = new PeftOptions { Method = PeftMethod.Lora, Lora = new LoraOptions { Rank = 4, Alpha = 8, InitLoraWeights = false } };
        var (_, peft, model) = Pair(options);
        using var _ = no_grad();
        var input = Batch();
        using var unpacked = peft.Forward(input).LastHiddenState;
        var packs = new PackedWeightScoring();
        using (packs.Activate())
        {
            using var before = peft.Forward(input).LastHiddenState;
            model.Lora!.Merge();
            using var merged = peft.Forward(input).LastHiddenState;
            model.Lora.Unmerge();
            using var after = peft.Forward(input).LastHiddenState;
            Assert.IsTrue(HfReference.MaxAbsDiff(before, unpacked) < 1e-5, "unmerged, packed");
            Assert.IsTrue(HfReference.MaxAbsDiff(merged, unpacked) < 1e-4, "merged into the packed base weights");
            Assert.IsTrue(HfReference.MaxAbsDiff(after, unpacked) < 1e-4, "unmerged again");
        }
        Assert.IsTrue(packs.PacksMade > 12, $"merge and unmerge changed the targeted base weights, which were packed again ({packs.PacksMade} packs)");
    }

    [TestMethod]
    public void AnOwnerPacksNoMoreThanItsBudget()
    {
        using var _ = no_grad();
        using var first = nn.Linear(384, 384);
        using var second = nn.Linear(384, 384);
        var packs = new PackedWeightScoring(budgetMiB: 1); // one 384×384 weight (576 KiB) fits, two do not
        using var x = randn(2, 384);
        using (packs.Activate())
        {
            using var a = PackedWeightScoring.Project(first, x);
            using var b = PackedWeightScoring.Project(second, x);
            using var expected = second.call(x);
            Assert.AreEqual(0.0, HfReference.MaxAbsDiff(b, expected), "past the budget the layer's own linear runs");
        }
        Assert.AreEqual(1, packs.ProductsComputed);
        Assert.AreEqual(4L * 384 * 384, packs.PackedBytes);
    }

    [TestMethod]
    [DataRow(null, PackedWeightScoring.DefaultBudgetMiB, "")]
    [DataRow("on", PackedWeightScoring.DefaultBudgetMiB, "")]
    [DataRow(" Off ", 0L, "")]
    [DataRow("0", 0L, "")]
    [DataRow("4096", 4096L, " (MLNET_FINETUNE_PACKED_WEIGHTS=4096)")]
    [DataRow("lots", PackedWeightScoring.DefaultBudgetMiB, " (MLNET_FINETUNE_PACKED_WEIGHTS='lots' is not off, on or a number of MiB: the default is used)")]
    public void TheVariableTurnsPackingOffOrSetsTheBudget(string? value, long budgetMiB, string note)
    {
        var setting = PackedWeightScoring.ReadSetting(value);
        Assert.AreEqual(budgetMiB, setting.BudgetMiB);
        Assert.AreEqual(note, setting.Note);
    }

    [TestMethod]
    [DataRow("gpt2")]
    [DataRow("llama")]
    public void DecodersGenerateTheSameTokensOnPackedWeights(string type)
    {
        var model = TinyDecoders.Create(type == "gpt2" ? TinyDecoders.Gpt2Config : TinyDecoders.LlamaConfig);
        var options = new GenerationOptions { MaxNewTokens = 12, EosTokenIds = [] };
        IReadOnlyList<int>[] prompts = [[3, 9, 14, 2], [7, 1]];
        var generator = new TextGenerator(model);
        var packed = generator.Generate(prompts, options);
        using var session = new DecodingSession(model, prompts, options); // no packs
        while (!session.AllFinished) session.Step();
        for (int r = 0; r < prompts.Length; r++) CollectionAssert.AreEqual(session.Generated(r).ToList(), packed[r].TokenIds.ToList(), $"row {r}");
        Assert.IsTrue(generator.PackedWeights.ProductsComputed > 0, "the decoding steps went through packed weights");
    }
}
