using MLNet.FineTune.Modeling.Decoding;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Decoders;

/// <summary>Logits of our GPT-2 and Llama against transformers 4.40.2 on the tiny random checkpoints (abs 1e-5).</summary>
[TestClass]
[TestCategory("Integration")]
public class DecoderParityTests
{
    [TestMethod]
    [DataRow("gpt2-bpe", "gpt2-bpe")]
    [DataRow("gpt2-bpe-sharded", "gpt2-bpe")]
    [DataRow("llama-tiny", "llama-tiny")]
    public void LogitsMatchHuggingFace(string model, string outputs)
    {
        var decoder = DecoderFixtures.Load(model);
        var (cases, reference) = HfReference.Load(outputs);
        Assert.IsTrue(cases.Count >= 5, "fixture cases");
        using var _ = no_grad();
        foreach (var c in cases)
        {
            using var scope = NewDisposeScope();
            var mask = c.Mask;
            var logits = decoder.Logits(new DecoderInput(c.Ids, mask));
            using var expected = reference.ReadTensor(c.OutputTensors["logits"]);
            // Padded query rows are garbage in both implementations; compare real positions only.
            var real = mask.unsqueeze(-1).to_type(ScalarType.Float32);
            var diff = HfReference.MaxAbsDiff(logits * real, expected * real);
            Assert.IsTrue(diff < 1e-5, $"{model} {c.Id}: max |Δlogits| = {diff:G3}");
            if (c.OutputTensors.TryGetValue("last_hidden_state", out var hiddenKey))
            {
                using var expectedHidden = reference.ReadTensor(hiddenKey);
                var hiddenDiff = HfReference.MaxAbsDiff(decoder.HiddenStates(new DecoderInput(c.Ids, mask)), expectedHidden);
                Assert.IsTrue(hiddenDiff < 1e-5, $"{model} {c.Id}: max |Δhidden| = {hiddenDiff:G3}");
            }
        }
    }
}
