using MLNet.FineTune.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Modeling;

/// <summary>FineTuneOptions.Dropout replaces a checkpoint's hidden and attention dropout (as from_pretrained(..., hidden_dropout_prob=p)).</summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class CheckpointDropoutTests
{
    static (float[] First, float[] Second) TwoTrainingPasses(double? dropout)
    {
        var folder = SharedFixtures.HfReference("models/bert-seqcls");
        var package = ModelPackage.FromCheckpoint(folder, dropout);
        var head = new HeadDescription(ClassificationHead.KindName, "c", "Label", ["a", "b"], "text").Restore();
        using var network = TaskNetworkBuilder.Build(package, [head], new PeftOptions());
        network.train();
        var encodings = new[] { package.Tokenizer.Encode("a short test sentence", null, 32), package.Tokenizer.Encode("and another one", null, 32) };
        using var scope = NewDisposeScope();
        var batch = TextBatchCollator.Collate(encodings, null, package.Tokenizer.PadTokenId, [false]);
        manual_seed(1);
        var first = network.Forward(batch)[0].data<float>().ToArray();
        var second = network.Forward(batch)[0].data<float>().ToArray();
        return (first, second);
    }

    [TestMethod]
    public void DropoutZeroMakesTrainingPassesDeterministicAndTheCheckpointDefaultDoesNot()
    {
        var (a, b) = TwoTrainingPasses(dropout: 0.0);
        CollectionAssert.AreEqual(a, b, "dropout 0: two training-mode passes agree");
        var (c, d) = TwoTrainingPasses(dropout: null);
        CollectionAssert.AreNotEqual(c, d, "the checkpoint's own 0.1 dropout changes every pass");
        Assert.AreEqual(0.3, ModelPackage.FromCheckpoint(SharedFixtures.HfReference("models/bert-seqcls"), 0.3).Config.AttentionDropout);
    }
}
