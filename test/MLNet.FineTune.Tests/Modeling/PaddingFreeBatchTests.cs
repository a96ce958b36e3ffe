using MLNet.FineTune.Modeling;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Modeling;

/// <summary>
/// Training-mode forward passes pack a right-padded batch's tokens into fewer rows (PaddingFreeBatch); with dropout off the
/// result must equal the padded computation (eval mode never packs) on every real token, and so must the gradients.
/// </summary>
[TestClass]
public class PaddingFreeBatchTests
{
    static readonly int[] Lengths = [7, 2, 3, 1, 5, 2];

    static Tensor Mask(int[] lengths, int t)
    {
        var mask = zeros(lengths.Length, t, ScalarType.Int64);
        for (int r = 0; r < lengths.Length; r++) mask[r, TensorIndex.Slice(0, lengths[r])] = 1;
        return mask;
    }

    [TestMethod]
    [DynamicData(nameof(TinyModels.All), typeof(TinyModels))]
    public void PackedTrainingForwardAndGradientsEqualThePaddedOnes(string type)
    {
        var config = TinyModels.ByType(type) with { HiddenDropout = 0, AttentionDropout = 0 };
        manual_seed(5);
        var encoder = EncoderFactory.Create(config);
        using var ids = randint(2, config.VocabSize, [Lengths.Length, 7]);
        using var mask = Mask(Lengths, 7);
        using var plan = NewDisposeScope();
        Assert.IsNotNull(PaddingFreeBatch.Plan(mask, ScalarType.Float32), "this batch is half padding: it must be packed");

        (Tensor Output, Tensor Grad) Run(bool training)
        {
            encoder.train(training);
            encoder.zero_grad();
            var output = encoder.Forward(ids, mask).LastHiddenState;
            output.mul(mask.unsqueeze(-1)).pow(2).sum().backward();
            var grad = encoder.named_parameters().First(p => p.name.Contains("word_embeddings")).parameter.grad!.clone();
            return (output.detach(), grad);
        }
        var (padded, paddedGrad) = Run(training: false);
        var (packed, packedGrad) = Run(training: true);
        var real = mask.unsqueeze(-1).to(ScalarType.Float32);
        Assert.IsTrue(packed.mul(real).allclose(padded.mul(real), rtol: 0, atol: 1e-5), $"{type}: packed hidden states differ on real tokens");
        Assert.AreEqual(0f, packed.mul(1 - real).abs().max().item<float>(), $"{type}: padding positions come back as zeros");
        Assert.IsTrue(packedGrad.allclose(paddedGrad, rtol: 0, atol: 1e-5), $"{type}: gradients differ");
    }

    [TestMethod]
    public void PlansRowsFirstFitDecreasingAndRefusesWhatItCannotPack()
    {
        using var scope = NewDisposeScope();
        // 7 | 5+2 | 3+2+1 → 3 rows of 7 instead of 6.
        var plan = PaddingFreeBatch.Plan(Mask(Lengths, 7), ScalarType.Float32)!;
        CollectionAssert.AreEqual(new long[] { 3, 1, 7, 7 }, plan.AdditiveMask.shape);
        using var x = arange(6 * 7, ScalarType.Float32).view(6, 7, 1);
        var packed = plan.Pack(x);
        CollectionAssert.AreEqual(new long[] { 3, 7, 1 }, packed.shape);
        // Row 1 holds example 4 (length 5) then example 1 (length 2); each token attends only within its example.
        CollectionAssert.AreEqual(new float[] { 28, 29, 30, 31, 32, 7, 8 }, packed[1].flatten().data<float>().ToArray());
        Assert.AreEqual(0f, plan.AdditiveMask[1, 0, 5, 6].item<float>());
        Assert.AreEqual(float.MinValue, plan.AdditiveMask[1, 0, 5, 4].item<float>());
        // Unpack puts every real token back and zeros the padding.
        var back = plan.Unpack(packed);
        var real = Mask(Lengths, 7).unsqueeze(-1).to(ScalarType.Float32);
        Assert.IsTrue(Same(back, x.mul(real)));

        Assert.IsNull(PaddingFreeBatch.Plan(ones(4, 7, ScalarType.Int64), ScalarType.Float32), "no padding: nothing to gain");
        var left = Mask(Lengths, 7).flip(1);
        Assert.IsNull(PaddingFreeBatch.Plan(left, ScalarType.Float32), "left padding is not packed");
    }

    static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();
}
