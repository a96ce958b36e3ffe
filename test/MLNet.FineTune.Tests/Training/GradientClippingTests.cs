using MLNet.FineTune.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Training;

[TestClass]
[DoNotParallelize]
public class GradientClippingTests
{
    static (TinyModel Model, Dictionary<string, float[]> Grads) WithGradients(double scale)
    {
        var model = new TinyModel(dropout: 0);
        using (var scope = NewDisposeScope()) (model.ComputeLoss(new TinyData(8).All()) * scale).backward();
        return (model, Grads(model));
    }

    static Dictionary<string, float[]> Grads(TinyModel model) =>
        model.Mlp.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.data<float>().ToArray());

    [TestMethod]
    public void MatchesTorchClipGradNorm()
    {
        var (ours, _) = WithGradients(100);
        var (theirs, _) = WithGradients(100);
        double ourNorm = GradientClipping.ClipGradNorm(ours.Mlp.parameters(), 1.0);
        double theirNorm = nn.utils.clip_grad_norm_(theirs.Mlp.parameters(), 1.0);
        Assert.AreEqual(theirNorm, ourNorm, theirNorm * 1e-6);
        Assert.IsTrue(ourNorm > 1.0, "the test needs gradients above the limit");
        WeightAssert.Equal(Grads(theirs), Grads(ours), 1e-7);
        var total = Math.Sqrt(Grads(ours).Values.SelectMany(g => g).Sum(x => (double)x * x));
        Assert.AreEqual(1.0, total, 1e-5);
    }

    [TestMethod]
    public void GradientsBelowTheLimitAreUntouched()
    {
        var (model, before) = WithGradients(1e-3);
        double norm = GradientClipping.ClipGradNorm(model.Mlp.parameters(), 10.0);
        Assert.IsTrue(norm < 10.0);
        WeightAssert.Equal(before, Grads(model));
    }

    [TestMethod]
    public void TotalNormMatchesTorchAndLeavesGradientsAlone()
    {
        var (ours, before) = WithGradients(100);
        var (theirs, _) = WithGradients(100);
        double norm = GradientClipping.TotalNorm(ours.Mlp.parameters());
        double theirNorm = nn.utils.clip_grad_norm_(theirs.Mlp.parameters(), 1e30);
        Assert.AreEqual(theirNorm, norm, theirNorm * 1e-6);
        WeightAssert.Equal(before, Grads(ours));
    }
}
