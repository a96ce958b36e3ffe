using MLNet.FineTune.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Heads;

/// <summary>A token head that predicts one tag everywhere (WNUT-17 with default settings) is reported, not silent.</summary>
[TestClass]
public class CollapsedTokenHeadTests
{
    static TaskNetwork Network(bool collapse)
    {
        manual_seed(3);
        var config = TinyModels.Bert();
        var head = new HeadDescription(TokenClassificationHead.KindName, "ner", "Tags", ["O", "B-PER", "I-PER"], "Iob2").Restore();
        var module = head.CreateModule(config);
        if (collapse)
            using (no_grad())
                foreach (var (name, p) in module.named_parameters())
                    if (name.EndsWith("weight")) p.zero_(); else p.copy_(tensor(new float[] { 5, 0, 0 }));   // always "O"
        var network = new TaskNetwork(EncoderFactory.Create(config), [head], [module]);
        network.eval();
        return network;
    }

    static List<TextExample> Rows() => Enumerable.Range(0, 8).Select(i =>
    {
        var ids = Enumerable.Range(0, 6).Select(t => 5 + (i * 7 + t * 3) % 80).ToArray();
        var encoding = new EncodedInput(ids, Enumerable.Repeat(1, 6).ToArray(), new int[6], Enumerable.Range(0, 6).Select(t => (int?)t).ToArray(),
            new int?[6], new (int, int)[6], new string[6]);
        return new TextExample(encoding, [new float[] { 0, 1, 2, 0, 0, 1 }]);
    }).ToList();

    [TestMethod]
    public void AHeadPredictingOnlyOTagIsReported()
    {
        var warnings = FineTuneEstimator.CollapsedTokenHeads(Network(collapse: true), Rows(), 0, [true]).ToList();
        Assert.AreEqual(1, warnings.Count);
        StringAssert.Contains(warnings[0], "head 'ner' predicts 'O' for 100.0% of tokens although its labels have 3 tags");
        StringAssert.Contains(warnings[0], "TagWeights");
        Assert.AreEqual(0, FineTuneEstimator.CollapsedTokenHeads(Network(collapse: false), Rows(), 0, [true]).Count(), "a random head predicts several tags");
    }
}
