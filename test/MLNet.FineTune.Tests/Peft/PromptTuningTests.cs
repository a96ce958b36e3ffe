using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using static MLNet.FineTune.Tests.Peft.PeftTestModels;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Peft;

[TestClass]
public class PromptTuningTests
{
    static readonly long[] InitIds = { 2, 40, 41, 3 };

    static PeftOptions Options(int n, long[]? init = null) =>
        new() { Method = PeftMethod.PromptTuning, PromptTuning = new PromptTuningOptions { NumVirtualTokens = n, InitTokenIds = init } };

    [TestMethod]
    public void PrependExtendsMaskWithOnesAndTokenTypesWithZeros()
    {
        var (_, encoder, model) = Pair(Options(3));
        var input = Batch();
        var prepared = model.PrepareInput(input);
        CollectionAssert.AreEqual(new long[] { 2, 10, 32 }, prepared.InputsEmbeds!.shape);
        CollectionAssert.AreEqual(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, prepared.AttentionMask[0].data<long>().ToArray());
        CollectionAssert.AreEqual(new long[] { 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, prepared.AttentionMask[1].data<long>().ToArray());
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 0, 0, 0, 0, 1, 1, 1 }, prepared.TokenTypeIds![0].data<long>().ToArray());
        Assert.IsNull(prepared.InputIds);
        using var _ = no_grad();
        Assert.AreEqual(0.0, MaxDiff(prepared.InputsEmbeds[TensorIndex.Colon, TensorIndex.Slice(3)], encoder.EmbedWords(input.InputIds!)));
        Assert.AreEqual(0.0, MaxDiff(prepared.InputsEmbeds[1, TensorIndex.Slice(0, 3)], model.Prompt!.Weight));
    }

    [TestMethod]
    public void TextInitCopiesWordEmbeddingsRepeatingTheIds()
    {
        var (_, encoder, model) = Pair(Options(6, InitIds));
        using var _ = no_grad();
        var expected = encoder.EmbedWords(tensor(new long[] { 2, 40, 41, 3, 2, 40 }).unsqueeze(0)).squeeze(0);
        Assert.AreEqual(0.0, MaxDiff(model.Prompt!.Weight, expected));
    }

    [TestMethod]
    public void PositionsRunOverVirtualAndRealTokens()
    {
        // Virtual tokens initialised from ids X behave exactly like the text X prepended to the input: this holds only if
        // the encoder numbers positions 0..N+T-1, the mask is extended with ones and token types with zeros.
        var (_, encoder, model) = Pair(Options(4, InitIds));
        var input = Batch();
        using var _ = no_grad();
        var viaPrompt = encoder.Forward(model.PrepareInput(input)).LastHiddenState;
        var prefix = tensor(InitIds).unsqueeze(0).expand(2, -1);
        var direct = encoder.Forward(new EncoderInput(cat(new[] { ones_like(prefix), input.AttentionMask }, 1),
            cat(new[] { prefix, input.InputIds! }, 1), cat(new[] { zeros_like(prefix), input.TokenTypeIds! }, 1))).LastHiddenState;
        var mask = cat(new[] { ones(2, 4), input.AttentionMask.to(ScalarType.Float32) }, 1).unsqueeze(-1);
        Assert.AreEqual(0.0, MaxDiff(viaPrompt * mask, direct * mask), 1e-5);
    }

    [TestMethod]
    public void TokenHeadsDropVirtualPositionsSequenceHeadsReadTheFirstVirtualToken()
    {
        var config = Tiny();
        var (_, encoder, model) = Pair(Options(5), config, new TokenClassifier(config, 3));
        using var _ = no_grad();
        var output = encoder.Forward(model.PrepareInput(Batch()));
        Assert.AreEqual(5, model.VirtualTokens);
        CollectionAssert.AreEqual(new long[] { 2, 12, 32 }, output.LastHiddenState.shape);
        var real = model.RealTokenStates(output);
        CollectionAssert.AreEqual(new long[] { 2, 7, 32 }, real.shape);
        Assert.AreEqual(0.0, MaxDiff(real[TensorIndex.Colon, 0], output.LastHiddenState[TensorIndex.Colon, 5]));
        // PEFT's SEQ_CLS prompt tuning pools hidden[:, 0], the first virtual token; the pooler sees exactly that.
        Assert.IsNotNull(output.Pooled);
    }

    [TestMethod]
    public void TooLongInputIsRefusedWithTheLimit()
    {
        var (_, _, model) = Pair(Options(60));
        var ids = zeros(1, 5, ScalarType.Int64);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.PrepareInput(new EncoderInput(ones_like(ids), ids)));
        StringAssert.Contains(e.Message, "truncate texts to 4 tokens");
    }
}
