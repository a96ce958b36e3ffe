using MLNet.FineTune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Training;

[TestClass]
[DoNotParallelize]
public class ParameterGroupsTests
{
    [TestMethod]
    [DataRow("encoder.layer.0.attention.self.query.weight", false)]
    [DataRow("embeddings.word_embeddings.weight", false)]
    [DataRow("classifier.weight", false)]
    [DataRow("encoder.layer.0.attention.self.query.bias", true)]
    [DataRow("embeddings.LayerNorm.weight", true)]
    [DataRow("transformer.layer.3.sa_layer_norm.weight", true)]
    [DataRow("encoder.layer.1.output_layer_norm.weight", true)]
    [DataRow("blocks.0.norm1.weight", true)]
    [DataRow("ln_f.weight", true)]
    public void NoDecayFollowsHuggingFaceNaming(string name, bool noDecay) =>
        Assert.AreEqual(noDecay, ParameterGroups.IsNoDecay(name), name);

    [TestMethod]
    public void ForTransformerFindsLayerNormModulesByTypeAndSkipsFrozen()
    {
        var mlp = nn.Sequential(("dense", nn.Linear(3, 4)), ("final", nn.LayerNorm(4)), ("head", nn.Linear(4, 2)));
        foreach (var (_, p) in ((nn.Module)mlp).named_parameters().Where(p => p.name.StartsWith("dense"))) p.requires_grad = false;
        var groups = ParameterGroups.ForTransformer(mlp, 0.01);
        CollectionAssert.AreEqual(new[] { "head.weight" }, groups[0].ParameterNames.ToArray());
        CollectionAssert.AreEqual(new[] { "final.weight", "final.bias", "head.bias" }, groups[1].ParameterNames.ToArray());
        Assert.AreEqual(0.01, groups[0].WeightDecay);
        Assert.AreEqual(0.0, groups[1].WeightDecay);
    }
}
