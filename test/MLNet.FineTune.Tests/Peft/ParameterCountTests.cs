using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;

namespace MLNet.FineTune.Tests.Peft;

/// <summary>The exact lines PEFT 0.11.1's print_trainable_parameters printed (../shared/fixtures/hf-reference/peft/param_counts.json).</summary>
[TestClass]
public class ParameterCountTests
{
    static string Report(TransformerConfig config, LoraOptions lora, TorchSharp.torch.nn.Module? head = null)
    {
        var model = new PeftModel(new PeftOptions { Method = PeftMethod.Lora, Lora = lora }, config.ModelType);
        model.Attach(EncoderFactory.Create(config, model.Projection), head);
        return model.ParameterReport().ToString();
    }

    [TestMethod]
    [TestCategory("Integration")]
    public void TinyBertR4MatchesPeft()
    {
        var config = TransformerConfig.Load(SharedFixtures.HfReference("models/bert-wordpiece/config.json"));
        Assert.AreEqual("trainable params: 1,024 || all params: 994,538 || trainable%: 0.1030", Report(config, new LoraOptions { Rank = 4, Alpha = 8 }));
    }

    [TestMethod]
    public void BertBaseR8MatchesPeft() =>
        Assert.AreEqual("trainable params: 294,912 || all params: 109,777,152 || trainable%: 0.2686",
            Report(new TransformerConfig(), new LoraOptions { Rank = 8, Alpha = 16 }));

    [TestMethod]
    public void BertBaseSequenceClassifierCountsTheModulesToSaveCopyAsPeft()
    {
        var config = new TransformerConfig();
        Assert.AreEqual("trainable params: 296,450 || all params: 109,780,228 || trainable%: 0.2700",
            Report(config, new LoraOptions { Rank = 8, Alpha = 16 }, new PooledLinearClassifier(config, 2)));
    }

    [TestMethod]
    public void ReportFormatsLikePeft()
    {
        Assert.AreEqual("trainable params: 0 || all params: 0 || trainable%: 0.0000", new TrainableParameterReport(0, 0).ToString());
        Assert.AreEqual("trainable params: 1,234,567 || all params: 2,469,134 || trainable%: 50.0000", new TrainableParameterReport(1234567, 2469134).ToString());
    }
}
