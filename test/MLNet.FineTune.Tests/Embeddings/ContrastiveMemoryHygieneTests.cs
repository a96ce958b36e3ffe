using MLNet.FineTune.Data;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>
/// A contrastive training step (two encoder passes, pooling, the loss, backward) leaves nothing to the finalizer, as the
/// classification step does (Training/NativeMemoryHygieneTests: finalizer-owned Scalars fragment the native heap).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class ContrastiveMemoryHygieneTests
{
    [TestMethod]
    [DataRow(ContrastiveLoss.MultipleNegativesRanking, EmbeddingPooling.Max)]
    [DataRow(ContrastiveLoss.CoSent, EmbeddingPooling.Mean)]
    [DataRow(ContrastiveLoss.Contrastive, EmbeddingPooling.Cls)]
    public void ContrastiveStep_LeavesNothingToTheFinalizer(ContrastiveLoss loss, EmbeddingPooling pooling)
    {
        using var counter = new FinalizedObjectCounter();
        manual_seed(3);
        var config = TinyModels.Bert();
        using var network = new ContrastiveNetwork(EncoderFactory.Create(config), new PeftModel(new PeftOptions(), "bert"), pooling,
            new ContrastiveObjective(loss, 20, Symmetric: true, 0.5));
        network.train();
        TextBatch Side(long seed)
        {
            var ids = randint(5, config.VocabSize, [4, 7], dtype: ScalarType.Int64, generator: new TorchSharp.torch.Generator((ulong)seed)).DetachFromDisposeScope();
            var mask = ones(4, 7, ScalarType.Int64);
            mask[3, 5] = zeros(1, ScalarType.Int64)[0]; mask[3, 6] = zeros(1, ScalarType.Int64)[0]; // a padded row
            return new TextBatch(ids, mask.DetachFromDisposeScope(), zeros(4, 7, ScalarType.Int64).DetachFromDisposeScope(), [], 4);
        }
        var batch = new ContrastiveBatch(Side(1), Side(2), tensor(new float[] { 1, 0, 1, 0 }));
        void Step()
        {
            using var scope = NewDisposeScope();
            network.ComputeLoss(batch).backward();
        }
        Step();
        int perTenSteps = int.MaxValue;
        for (int attempt = 0; attempt < 3 && perTenSteps > 0; attempt++)
            perTenSteps = Math.Min(perTenSteps, counter.CountFinalized(() => { for (int i = 0; i < 10; i++) Step(); }));
        Assert.AreEqual(0, perTenSteps, $"{loss}/{pooling}: {perTenSteps}: 10 contrastive steps left objects to the finalizer.");
    }
}
