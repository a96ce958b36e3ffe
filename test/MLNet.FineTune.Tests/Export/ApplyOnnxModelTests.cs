using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Onnx;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.Robustness;
using MLNet.FineTune.Tests.Tokenization;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Export;

/// <summary>
/// An exported model in ML.NET's own <c>mlContext.Transforms.ApplyOnnxModel</c> (Microsoft.ML.OnnxTransformer), fed
/// token ids from the model's tokenizer: the outputs named after the columns (Score, Probability, PredictedLabel) equal
/// MLNet.FineTune.Onnx's. ApplyOnnxModel takes fixed-size vectors only ("Variable length input columns not
/// supported"), so the ids are padded to a fixed length and the shapes given in its shape dictionary; padding with
/// attention mask 0 does not change the scores.
/// </summary>
[TestClass]
[DoNotParallelize]
public class ApplyOnnxModelTests
{
    const int Length = 32;

    /// <summary>The model's inputs, as ApplyOnnxModel reads them: int64 vectors of a known size, named as the graph's inputs.</summary>
    public sealed class TokenIds
    {
        [ColumnName("input_ids"), VectorType(Length)] public long[] InputIds { get; set; } = [];
        [ColumnName("attention_mask"), VectorType(Length)] public long[] AttentionMask { get; set; } = [];
        [ColumnName("token_type_ids"), VectorType(Length)] public long[] TokenTypeIds { get; set; } = [];
    }

    public static TokenIds Pad(EncodedInput e, int padId) => new()
    {
        InputIds = [.. e.InputIds.Select(i => (long)i), .. Enumerable.Repeat((long)padId, Length - e.Length)],
        AttentionMask = [.. e.AttentionMask.Select(i => (long)i), .. new long[Length - e.Length]],
        TokenTypeIds = [.. e.TokenTypeIds.Select(i => (long)i), .. new long[Length - e.Length]],
    };

    [TestMethod]
    public void ApplyOnnxModelOnTokenIdsScoresLikeTheOnnxPackage()
    {
        using var checkpoint = new TempFolder();
        CorpusFixtures.TinyBert(checkpoint.Path);
        var ml = new MLContext(seed: 1);
        var rows = SyntheticSentiment.Generate(40, seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.FineTune(CorpusFixtures.OnCheckpoint(checkpoint.Path) with { MaxSequenceLength = Length }).Fit(data);
        var path = Path.Combine(checkpoint.Path, "sentiment.onnx");
        model.ExportOnnx(path);

        var tokenizer = TransformerTokenizer.FromFolder(checkpoint.Path);
        var ids = ml.Data.LoadFromEnumerable(rows.Select(r => Pad(tokenizer.Encode(r.Text, maxLength: Length), tokenizer.PadTokenId)));
        var shapes = new Dictionary<string, int[]> { ["input_ids"] = [1, Length], ["attention_mask"] = [1, Length], ["token_type_ids"] = [1, Length] };
        var applied = ml.Transforms.ApplyOnnxModel(["Score", "Probability", "PredictedLabel"], ["input_ids", "attention_mask", "token_type_ids"], path, shapes, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100)
            .Fit(ids).Transform(ids);
        var probability = applied.GetColumn<float[]>("Probability").Select(v => v.Single()).ToArray();
        var score = applied.GetColumn<float[]>("Score").Select(v => v.Single()).ToArray();
        var label = applied.GetColumn<bool[]>("PredictedLabel").Select(v => v.Single()).ToArray();

        using var onnx = ml.Model.LoadFineTuneOnnx(path);
        var scored = onnx.Transform(data);
        var expectedProbability = scored.GetColumn<float>("Probability").ToArray();
        var expectedScore = scored.GetColumn<float>("Score").ToArray();
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.AreEqual(expectedProbability[i], probability[i], 1e-5, $"Probability, row {i}");
            Assert.AreEqual(expectedScore[i], score[i], 1e-5, $"Score, row {i}");
        }
        CollectionAssert.AreEqual(scored.GetColumn<bool>("PredictedLabel").ToArray(), label);
        // The rows must differ by much more than the 1e-5 tolerance above, or the comparison proves nothing. (Not 1e-3: the tiny
        // model barely trains in one epoch, its probabilities span ~9e-4 around 0.53, and float rounding in training, which
        // varies from run to run with MKL's alignment-dependent kernels, moved that span across 1e-3.)
        Assert.IsTrue(label.Distinct().Count() == 2 || probability.Max() - probability.Min() > 1e-4, $"the rows are not all scored alike (probabilities {probability.Min()}..{probability.Max()}, scores {score.Min()}..{score.Max()})");
    }
}
