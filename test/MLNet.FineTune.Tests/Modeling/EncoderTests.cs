using MLNet.FineTune.Modeling;
using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Modeling;

[TestClass]
public class EncoderTests
{
    [TestMethod]
    [DynamicData(nameof(TinyModels.All), typeof(TinyModels))]
    public void ShapesFollowTheConfig(string type)
    {
        var config = TinyModels.ByType(type);
        var encoder = EncoderFactory.Create(config);
        encoder.eval();
        using var ids = randint(2, 99, new long[] { 3, 7 });
        using var mask = ones(3, 7, ScalarType.Int64);
        using var output = encoder.Forward(ids, mask);
        CollectionAssert.AreEqual(new long[] { 3, 7, 32 }, output.LastHiddenState.shape);
        if (type == "distilbert") Assert.IsNull(output.Pooled);
        else CollectionAssert.AreEqual(new long[] { 3, 32 }, output.Pooled!.shape);
    }

    /// <summary>Padding a sequence changes nothing in its real positions (inference path).</summary>
    [TestMethod]
    [DynamicData(nameof(TinyModels.All), typeof(TinyModels))]
    public void PaddingChangesNothingInRealPositions(string type)
    {
        var config = TinyModels.ByType(type);
        manual_seed(3);
        var encoder = EncoderFactory.Create(config);
        encoder.eval();
        using var _ = no_grad();
        var ids = tensor(new long[] { 5, 17, 23, 42, 8 }).unsqueeze(0);
        var alone = encoder.Forward(ids, ones(1, 5, ScalarType.Int64)).LastHiddenState;
        var padded = cat(new[] { ids, full(1, 4, config.PadTokenId, ScalarType.Int64) }, 1);
        var mask = cat(new[] { ones(1, 5, ScalarType.Int64), zeros(1, 4, ScalarType.Int64) }, 1);
        var withPad = encoder.Forward(padded, mask).LastHiddenState[.., ..5];
        Assert.IsTrue(HfReference.MaxAbsDiff(withPad, alone) < 1e-5);
    }

    [TestMethod]
    public void DropoutIsActiveOnlyInTraining()
    {
        var encoder = EncoderFactory.Create(TinyModels.Bert() with { HiddenDropout = 0.5, AttentionDropout = 0.5 });
        var ids = randint(2, 99, new long[] { 2, 6 });
        var mask = ones(2, 6, ScalarType.Int64);
        encoder.train();
        var a = encoder.Forward(ids, mask).LastHiddenState;
        var b = encoder.Forward(ids, mask).LastHiddenState;
        Assert.IsTrue(HfReference.MaxAbsDiff(a, b) > 1e-3, "training passes should differ under dropout");
        encoder.eval();
        var c = encoder.Forward(ids, mask).LastHiddenState;
        var d = encoder.Forward(ids, mask).LastHiddenState;
        Assert.AreEqual(0.0, HfReference.MaxAbsDiff(c, d));
    }

    [TestMethod]
    public void ConfigRejectsHiddenSizeNotDivisibleByHeads()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => (TinyModels.Bert() with { NumHeads = 5 }).Validate("test"));
        StringAssert.Contains(e.Message, "not a multiple of the number of attention heads 5");
    }

    /// <summary>The state-dict key list and shapes of each architecture, approved against a checked-in file.</summary>
    [TestMethod]
    [DynamicData(nameof(TinyModels.All), typeof(TinyModels))]
    public void StateDictKeysMatchApprovedList(string type)
    {
        var encoder = EncoderFactory.Create(TinyModels.ByType(type));
        var actual = encoder.named_parameters().Select(p => $"{p.name} [{string.Join(",", p.parameter.shape)}]").ToArray();
        var approvedPath = Path.Combine(AppContext.BaseDirectory, "Approved", $"{type}.keys.txt");
        if (Environment.GetEnvironmentVariable("MLNET_FINETUNE_APPROVE") == "1") // re-approve: writes the source copy
            File.WriteAllLines(Path.Combine(SourceFolder(), "..", "Approved", $"{type}.keys.txt"), actual);
        var approved = File.ReadAllLines(approvedPath);
        CollectionAssert.AreEqual(approved, actual, $"state-dict keys of {type} changed; if intended, update {approvedPath}:\n{string.Join("\n", actual)}");
    }

    static string SourceFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
