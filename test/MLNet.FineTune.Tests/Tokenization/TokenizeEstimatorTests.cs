using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Tokenization;

[TestClass]
[TestCategory("Integration")]
public class TokenizeEstimatorTests
{
    sealed class Row { public string Text { get; set; } = ""; }

    [TestMethod]
    public void EstimatorAddsHuggingFaceIdsAndRoundTripsThroughZip()
    {
        var folder = SharedFixtures.HfReference("models/bert-wordpiece");
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "Hello world!" }, new Row { Text = "Short one." } });
        var model = ml.Transforms.Text.TokenizeForTransformer(folder, maxLength: 64).Fit(data);
        var ids = model.Transform(data).GetColumn<VBuffer<int>>("InputIds").Select(v => v.DenseValues().ToArray()).ToList();
        CollectionAssert.AreEqual(new[] { 101, 7592, 2088, 999, 102 }, ids[0]); // Hugging Face's ids for c00
        var words = model.Transform(data).GetColumn<VBuffer<int>>("WordIds").First().DenseValues().ToArray();
        CollectionAssert.AreEqual(new[] { -1, 0, 1, 2, -1 }, words);

        var path = Path.Combine(Path.GetTempPath(), $"mlnft-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var loaded = new MLContext().Model.Load(path, out _);
            var again = loaded.Transform(data).GetColumn<VBuffer<int>>("InputIds").Select(v => v.DenseValues().ToArray()).ToList();
            CollectionAssert.AreEqual(ids[1], again[1]);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void NonTextColumnIsRejectedWithTypes()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = 3f } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Text.TokenizeForTransformer(SharedFixtures.HfReference("models/bert-wordpiece")).Fit(data));
        StringAssert.Contains(e.Message, "Text column 'Text' has type Single; expected String");
    }
}
