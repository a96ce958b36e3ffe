using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Modeling.Onnx;

/// <summary>
/// The imported encoders compute what ONNX Runtime computes on the same .onnx file: last_hidden_state (and MiniLM's
/// pooler output) within 1e-5 on real tokens, for texts tokenized by our WordPiece tokenizer with the package's
/// vocab.txt — single texts, a padded batch and a padded batch of pairs (token type 1). Padding positions differ by
/// design (the export masks with -10000, we with float.MinValue) and are not compared.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class OnnxParityTests
{
    static readonly string[] Texts =
    [
        "I thought the plot was not good at all.",
        "Fine-tuning a pretrained encoder in .NET: café, naïve, résumé — and 東京 too!",
        "short",
        "The quick brown fox jumps over the lazy dog, then naps for 3 hours in the warm afternoon sun.",
    ];

    static readonly string?[] Pairs = ["Was the plot good?", "Which platform?", "long", "What did the fox do?"];

    [TestMethod]
    [DataRow("MiniLM")]
    [DataRow("ArcticXs")]
    public void LastHiddenStateMatchesOnnxRuntimeOnRealTokens(string name)
    {
        var model = PretrainedOnnx.Get(name);
        var imported = model.Imported;
        bool pooler = imported.Weights.ContainsKey("pooler.dense.weight");
        Assert.AreEqual(name == "MiniLM", pooler, "MiniLM's export has the pooler output, ArcticXs's does not");
        using var encoder = EncoderFactory.Create(imported.Config, addPooler: pooler);
        var stateDict = imported.ToStateDict();
        var report = StateDictLoader.Load(encoder, stateDict, name);
        foreach (var t in stateDict.Values) t.Dispose();
        Assert.AreEqual(0, report.Missing.Count + report.Unexpected.Count, report.ToString());
        encoder.eval();

        var tokenizer = model.Tokenizer();
        using var session = new InferenceSession(model.OnnxBytes);
        string poolerOutput = session.OutputMetadata.Keys.FirstOrDefault(k => k != "last_hidden_state") ?? "";
        Assert.AreEqual(name == "MiniLM" ? "924" : "", poolerOutput);

        var batches = Texts.Select(t => tokenizer.EncodeBatch([t])).ToList();
        batches.Add(tokenizer.EncodeBatch(Texts));            // padded batch
        batches.Add(tokenizer.EncodeBatch(Texts, Pairs));     // padded pairs: token type 1 on the second text
        double worst = 0, worstPooled = 0;
        foreach (var batch in batches)
        {
            var (ours, ourPooled) = Ours(encoder, batch);
            var (theirs, theirPooled) = OnnxRuntime(session, batch, poolerOutput);
            int t = batch[0].InputIds.Length, h = imported.Config.HiddenSize;
            for (int b = 0; b < batch.Length; b++)
                for (int i = 0; i < t; i++)
                {
                    if (batch[b].AttentionMask[i] == 0) continue;
                    for (int k = 0; k < h; k++) worst = Math.Max(worst, Math.Abs(ours[(b * t + i) * h + k] - theirs[(b * t + i) * h + k]));
                }
            if (ourPooled is not null)
                for (int j = 0; j < ourPooled.Length; j++) worstPooled = Math.Max(worstPooled, Math.Abs(ourPooled[j] - theirPooled![j]));
        }
        Console.WriteLine($"{name}: max |ours − ONNX Runtime| on real tokens: last_hidden_state {worst:E2}" + (pooler ? $", pooler {worstPooled:E2}" : ""));
        Assert.IsTrue(worst < 1e-5, $"{name}: last_hidden_state differs by {worst:E2}");
        Assert.IsTrue(worstPooled < 1e-5, $"{name}: pooler output differs by {worstPooled:E2}");
    }

    static (float[] Hidden, float[]? Pooled) Ours(EncoderModel encoder, EncodedInput[] batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var output = encoder.Forward(Matrix(batch, e => e.InputIds), Matrix(batch, e => e.AttentionMask), Matrix(batch, e => e.TokenTypeIds));
        return (output.LastHiddenState.data<float>().ToArray(), output.Pooled?.data<float>().ToArray());
    }

    static TorchSharp.torch.Tensor Matrix(EncodedInput[] batch, Func<EncodedInput, int[]> field) =>
        tensor(batch.SelectMany(e => field(e).Select(v => (long)v)).ToArray(), [batch.Length, field(batch[0]).Length]);

    static (float[] Hidden, float[]? Pooled) OnnxRuntime(InferenceSession session, EncodedInput[] batch, string poolerOutput)
    {
        NamedOnnxValue Input(string name, Func<EncodedInput, int[]> field) => NamedOnnxValue.CreateFromTensor(name,
            new DenseTensor<long>(batch.SelectMany(e => field(e).Select(v => (long)v)).ToArray(), [batch.Length, field(batch[0]).Length]));
        using var results = session.Run([Input("input_ids", e => e.InputIds), Input("attention_mask", e => e.AttentionMask), Input("token_type_ids", e => e.TokenTypeIds)]);
        var hidden = results.First(r => r.Name == "last_hidden_state").AsTensor<float>().ToArray();
        var pooled = poolerOutput.Length == 0 ? null : results.First(r => r.Name == poolerOutput).AsTensor<float>().ToArray();
        return (hidden, pooled);
    }
}
