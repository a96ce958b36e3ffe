using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Data;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Peft;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.FineTune;

[TestClass]
[DoNotParallelize]
public class FineTunePeftTests
{
    [TestMethod]
    [DataRow(PeftMethod.Lora)]
    [DataRow(PeftMethod.Houlsby)]
    [DataRow(PeftMethod.PromptTuning)]
    [DataRow(PeftMethod.BitFit)]
    public void PeftMethodTrainsOnlyItsParametersAndRoundTripsThroughZip(PeftMethod method)
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(64, seed: 9);
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = FineTunePersistenceTests.Quick with { Peft = new PeftOptions { Method = method, PromptTuning = new() { NumVirtualTokens = 4 } } };
        var model = ml.Transforms.FineTune(options).Fit(data);
        var trainable = model.Network.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.IsTrue(trainable.All(n => n.StartsWith("heads.") || n.StartsWith("prompt.") || method switch
        {
            PeftMethod.Lora => n.Contains(".lora_"),
            PeftMethod.Houlsby => n.Contains(".adapter_"),
            PeftMethod.BitFit => n.EndsWith(".bias"),
            _ => false,
        }), string.Join(", ", trainable));
        Assert.IsTrue(trainable.Any(n => !n.StartsWith("heads.")), "the method's own parameters train");
        var frozen = model.Network.named_parameters().Where(p => !p.parameter.requires_grad).ToList();
        Assert.IsTrue(frozen.Count > 0);
        Assert.IsTrue(frozen.All(p => p.parameter.grad is null), "frozen weights get no gradient buffers");
        StringAssert.Contains(model.Card.PeftMethod, method.ToString());

        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var loaded = new MLContext().Model.Load(path, out _);
            var a = model.Transform(data).GetColumn<float>("Score").ToArray();
            var b = loaded.Transform(data).GetColumn<float>("Score").ToArray();
            for (int i = 0; i < a.Length; i++) Assert.AreEqual(a[i], b[i], 1e-6);
        }
        finally { File.Delete(path); }
    }
}
