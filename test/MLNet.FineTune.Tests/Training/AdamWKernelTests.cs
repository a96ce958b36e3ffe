using MLNet.FineTune.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using AdamW = MLNet.FineTune.Training.AdamW;

namespace MLNet.FineTune.Tests.Training;

/// <summary>The single-pass AdamW kernel against the tensor-op form and torch's own AdamW, on sizes that hit its vector loop, scalar tail and threads.</summary>
[TestClass]
[DoNotParallelize]
public class AdamWKernelTests
{
    static (Parameter Big, Parameter Small) Parameters(long seed)
    {
        manual_seed(seed);
        return (new Parameter(randn(100_003)), new Parameter(randn(5)));
    }

    static void Steps(Action step, Parameter big, Parameter small, int count)
    {
        for (int s = 0; s < count; s++)
        {
            manual_seed(100 + s);
            big.grad = randn(100_003);
            small.grad = randn(5);
            step();
        }
    }

    [TestMethod]
    public void KernelMatchesTheTensorOpsAndTorchAdamW()
    {
        using var scope = NewDisposeScope();
        var (kernelBig, kernelSmall) = Parameters(1);
        var (opsBig, opsSmall) = Parameters(1);
        var (torchBig, torchSmall) = Parameters(1);
        var groups = (Parameter a, Parameter b) => new[] { new ParameterGroup("decay", new[] { ("big", a), ("small", b) }, weightDecay: 0.01) };
        using var kernel = new AdamW(groups(kernelBig, kernelSmall), learningRate: 1e-2);
        bool saved = AdamW.UseKernel;
        try
        {
            AdamW.UseKernel = false;
            using var ops = new AdamW(groups(opsBig, opsSmall), learningRate: 1e-2);
            AdamW.UseKernel = saved;
            using var reference = optim.AdamW(new[] { torchBig, torchSmall }, lr: 1e-2, weight_decay: 0.01);
            Steps(kernel.Step, kernelBig, kernelSmall, 5);
            Steps(ops.Step, opsBig, opsSmall, 5);
            Steps(() => reference.step(), torchBig, torchSmall, 5);
        }
        finally { AdamW.UseKernel = saved; }
        Assert.IsTrue(kernelBig.allclose(opsBig, rtol: 0, atol: 1e-6) && kernelSmall.allclose(opsSmall, rtol: 0, atol: 1e-6), "kernel vs tensor ops");
        Assert.IsTrue(kernelBig.allclose(torchBig, rtol: 0, atol: 1e-6) && kernelSmall.allclose(torchSmall, rtol: 0, atol: 1e-6), "kernel vs torch AdamW");
        Assert.IsFalse(kernelBig.allclose(Parameters(1).Big, rtol: 0, atol: 1e-3), "the weights must have moved");
    }
}
