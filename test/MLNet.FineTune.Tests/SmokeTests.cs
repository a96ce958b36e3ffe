using TorchSharp;
namespace MLNet.FineTune.Tests;

[TestClass]
public class TorchRuntimeTests
{
    [TestMethod]
    public void TorchSharpLoadsAndComputes()
    {
        using var a = torch.ones(2, 3);
        using var s = a.sum();
        Assert.AreEqual(6f, s.item<float>());
    }
}
