using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tests.Persistence;

[TestClass]
public class ZipPersistedRoundTripTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void SaveThenLoadInNewContextGivesSameSchemaAndValues()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ScalePipeline.Rows());
        var model = ScalePipeline.Fit(ml, data);
        var expected = model.Transform(data);
        var path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"scale-{Guid.NewGuid():N}.zip");

        ml.Model.Save(model, data.Schema, path);
        var ml2 = new MLContext(seed: 2);
        var loaded = ml2.Model.Load(path, out var loadedInputSchema);
        var actual = loaded.Transform(ml2.Data.LoadFromEnumerable(ScalePipeline.Rows()));

        Assert.AreEqual(data.Schema["Features"].Type, loadedInputSchema["Features"].Type);
        CollectionAssert.AreEqual(expected.Schema.Select(c => $"{c.Name}:{c.Type}").ToArray(),
                                  actual.Schema.Select(c => $"{c.Name}:{c.Type}").ToArray());
        var want = ScalePipeline.Outputs(expected);
        var got = ScalePipeline.Outputs(actual);
        Assert.AreEqual(3, got.Length);
        for (int i = 0; i < want.Length; i++) CollectionAssert.AreEqual(want[i], got[i]);
        // NormalizeMinMax keeps zero fixed: 2 / max|x| = 2 / 8, then scaled by 2.5.
        Assert.AreEqual(2.5f * 2f / 8f, got[0][1], 1e-6f);
    }

    [TestMethod]
    public void LoadedTransformerHasSameStateAndPayloadEntries()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ScalePipeline.Rows());
        using var stream = new MemoryStream();
        ml.Model.Save(ScalePipeline.Fit(ml, data), data.Schema, stream);
        stream.Position = 0;

        var chain = (TransformerChain<ITransformer>)new MLContext().Model.Load(stream, out _);
        var scale = chain.OfType<ScaleTransformer>().Single();

        Assert.AreEqual(new ScaleTransformer.Config("Features", "Scaled", 2.5f), scale.Settings);
        CollectionAssert.AreEqual(ScalePipeline.Blob, scale.Blob);
        var names = ModelZip.EntryNames(stream.ToArray());
        Assert.IsTrue(names.Any(n => n.EndsWith("/Payload/blobs/data.bin")), string.Join(", ", names));
        Assert.IsTrue(names.Any(n => n.EndsWith("/Payload/config.json")), string.Join(", ", names));
    }

    [TestMethod]
    public void PredictionEngineOnLoadedModelScoresOneRow()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ScalePipeline.Rows());
        var model = ScalePipeline.Fit(ml, data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);

        var engine = ml.Model.CreatePredictionEngine<ScalePipeline.Row, ScaledRow>(loaded);
        var scored = engine.Predict(new ScalePipeline.Row { Features = [4f, -5f, 6.5f] });

        CollectionAssert.AreEqual(ScalePipeline.Outputs(model.Transform(data))[1][..3], scored.Scaled);
    }

    [TestMethod]
    public void WrongInputColumnTypeNamesColumnAndTypes()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Features = "a" } });
        var scale = new ScaleTransformer(ml, "Features", "Scaled", 2f, []);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => scale.GetOutputSchema(data.Schema));
        StringAssert.Contains(e.Message, "Input column 'Features': expected a vector of Single, found String");
    }

    [TestMethod]
    public void TransformerWithoutAssemblyDeclarationIsRejectedWhenCreated()
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new UndeclaredTransformer(new MLContext()));
        StringAssert.Contains(e.Message, "[assembly: ZipPersistedTransformer(typeof(UndeclaredTransformer))]");
    }

    public sealed class ScaledRow
    {
        public float[] Scaled { get; set; } = [];
    }

    sealed class TextRow
    {
        public string Features { get; set; } = "";
    }
}
