using MLNet.FineTune.Modeling;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Modeling;

[TestClass]
[DoNotParallelize]
public class VectorizedDropoutTests
{
    static Tensor MaskWithSeed(long seed, long n, double p)
    {
        manual_seed(seed);
        var mask = empty(n);
        VectorizedDropout.Fill(mask, p);
        return mask;
    }

    [TestMethod]
    public void DropsAFractionPAndScalesTheRestByOneOverOneMinusP()
    {
        using var scope = NewDisposeScope();
        var mask = MaskWithSeed(1, 1_000_003, 0.25);
        double dropped = mask.eq(0).to(ScalarType.Float64).mean().item<double>();
        Assert.AreEqual(0.25, dropped, 0.002);
        var kept = mask.masked_select(mask.ne(0));
        Assert.IsTrue(kept.eq(1f / 0.75f).all().item<bool>());
        // Neighbouring elements are independent: P(both dropped) ≈ p².
        double pairs = mask.narrow(0, 0, 1_000_000).eq(0).logical_and(mask.narrow(0, 1, 1_000_000).eq(0)).to(ScalarType.Float64).mean().item<double>();
        Assert.AreEqual(0.0625, pairs, 0.002);
    }

    [TestMethod]
    public void TheMaskFollowsTheGeneratorAndNotTheThreadCount()
    {
        using var scope = NewDisposeScope();
        int threads = get_num_threads();
        try
        {
                set_num_threads(1);
                var one = MaskWithSeed(7, 300_001, 0.1);
                set_num_threads(2);
                var two = MaskWithSeed(7, 300_001, 0.1);
                Assert.IsTrue(Same(one, two), "same seed, other thread count: same mask");
                Assert.IsFalse(Same(MaskWithSeed(8, 300_001, 0.1), one), "another seed: another mask");
        }
        finally { set_num_threads(threads); }
    }

    [TestMethod]
    public void IsTheIdentityInEvalModeOrAtZeroAndDifferentiableInTraining()
    {
        using var scope = NewDisposeScope();
        var dropout = new VectorizedDropout(0.5);
        bool enabled = VectorizedDropout.Enabled;
        VectorizedDropout.Enabled = true;
        try
        {
            var x = rand(4, 50, requires_grad: true);
            dropout.eval();
            Assert.AreSame(x, dropout.call(x));
            Assert.AreSame(x, VectorizedDropout.Apply(x, 0));
            dropout.train();
            var y = dropout.call(x);
            y.sum().backward();
            // d(sum(x·mask))/dx = mask: 0 where dropped, 2 where kept, and the output is x·2 exactly there.
            var grad = x.grad!;
            Assert.IsTrue(grad.eq(0).logical_or(grad.eq(2)).all().item<bool>());
            Assert.IsTrue(Same(y, x.detach().mul(grad)));
        }
        finally { VectorizedDropout.Enabled = enabled; }
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new VectorizedDropout(1.0));
    }

    static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();
}
