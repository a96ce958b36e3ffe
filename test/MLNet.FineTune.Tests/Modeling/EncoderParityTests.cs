using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Modeling;

/// <summary>Our encoders against the outputs Hugging Face transformers 4.40.2 computed for the same checkpoints.</summary>
[TestClass]
[TestCategory("Integration")]
public class EncoderParityTests
{
    const double Tolerance = 1e-5;

    [TestMethod]
    [DataRow("bert-wordpiece")]
    [DataRow("roberta-bpe")]
    [DataRow("distilbert-wp")]
    public void EncoderMatchesHuggingFace(string name)
    {
        var model = PretrainedEncoder.Load(SharedFixtures.HfReference($"models/{name}"));
        Assert.AreEqual(0, model.Report.Unexpected.Count, model.Report.ToString());
        model.Encoder.eval();
        var (cases, outputs) = HfReference.Load(name);
        Assert.AreEqual(19, cases.Count);
        using var _ = no_grad();
        foreach (var c in cases)
        {
            using var scope = NewDisposeScope();
            var result = model.Encoder.Forward(new EncoderInput(c.Mask, c.Ids, c.Types), outputHiddenStates: true);
            foreach (var (output, key) in c.OutputTensors)
            {
                var expected = outputs.ReadTensor(key);
                var actual = output switch
                {
                    "last_hidden_state" => result.LastHiddenState,
                    "pooler_output" => result.Pooled!,
                    _ when output.StartsWith("hidden_states.") => result.HiddenStates![int.Parse(output["hidden_states.".Length..])],
                    _ => throw new AssertFailedException($"unknown output {output}"),
                };
                // Padded rows: compare real tokens only (HF computes padded positions too, but they mean nothing).
                if (output != "pooler_output" && c.Kind == "batch") { actual = actual * c.Mask.unsqueeze(-1); expected = expected * c.Mask.unsqueeze(-1); }
                var diff = HfReference.MaxAbsDiff(actual, expected);
                Assert.IsTrue(diff <= Tolerance, $"{name} {c.Id} {output}: max abs diff {diff:E2} > {Tolerance:E0}");
            }
        }
    }

    [TestMethod]
    public void SequenceClassificationHeadMatchesHuggingFace()
    {
        var model = PretrainedEncoder.Load(SharedFixtures.HfReference("models/bert-seqcls"));
        var head = ClassifierModule.ForSequence(model.Config, model.Config.Labels.Count);
        var report = StateDictLoader.Load(head, model.HeadTensors, "bert-seqcls");
        Assert.AreEqual(2, report.Loaded.Count);
        AssertLogits(model, head, "bert-seqcls");
    }

    [TestMethod]
    public void TokenClassificationHeadMatchesHuggingFace()
    {
        var model = PretrainedEncoder.Load(SharedFixtures.HfReference("models/bert-wordpiece"));
        var head = new TokenClassifier(model.Config, 5);
        var weights = SafetensorsReader.Open(SharedFixtures.HfReference("outputs/bert-tokcls.safetensors"));
        StateDictLoader.Load(head, weights.Entries.Keys.Where(k => k.StartsWith("classifier.")).ToDictionary(k => k, weights.ReadTensor), "bert-tokcls");
        AssertLogits(model, head, "bert-tokcls");
    }

    static void AssertLogits(PretrainedEncoder model, ClassifierModule head, string name)
    {
        model.Encoder.eval(); head.eval();
        var (cases, outputs) = HfReference.Load(name);
        using var _ = no_grad();
        foreach (var c in cases)
        {
            using var scope = NewDisposeScope();
            var logits = head.Forward(model.Encoder.Forward(c.Ids, c.Mask, c.Types));
            var expected = outputs.ReadTensor(c.OutputTensors["logits"]);
            if (logits.dim() == 3) { logits = logits * c.Mask.unsqueeze(-1); expected = expected * c.Mask.unsqueeze(-1); }
            var diff = HfReference.MaxAbsDiff(logits, expected);
            Assert.IsTrue(diff <= Tolerance, $"{name} {c.Id} logits: max abs diff {diff:E2}");
        }
    }
}
