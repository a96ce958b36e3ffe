using Microsoft.ML;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tests.Persistence;

[TestClass]
public class SaveAtomicTests
{
    sealed class In { public float X { get; set; } }
    sealed class Out { public float Y { get; set; } }

    static string NewFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "mlnft-atomic-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [TestMethod]
    public void SaveAtomicWritesLoadableModelAndLeavesNoTemporaryFile()
    {
        var dir = NewFolder();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ScalePipeline.Rows());
        var path = Path.Combine(dir, "model.zip");

        ml.Model.SaveAtomic(ScalePipeline.Fit(ml, data), data.Schema, path);

        CollectionAssert.AreEqual(new[] { "model.zip" }, Directory.GetFiles(dir).Select(Path.GetFileName).ToArray());
        var loaded = new MLContext().Model.Load(path, out _);
        Assert.AreEqual(3, ScalePipeline.Outputs(loaded.Transform(data)).Length);
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void FailedSaveKeepsPreviousFileAndLeavesNoTemporaryFile()
    {
        var dir = NewFolder();
        var path = Path.Combine(dir, "model.zip");
        File.WriteAllText(path, "previous model");
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new In { X = 1 } });
        // CustomMapping without a contract name cannot be saved: ML.NET throws half-way through writing the zip.
        var unsaveable = ml.Transforms.CustomMapping<In, Out>((i, o) => o.Y = i.X, contractName: null).Fit(data);

        Assert.ThrowsExactly<InvalidOperationException>(() => ml.Model.SaveAtomic(unsaveable, data.Schema, path));

        Assert.AreEqual("previous model", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { "model.zip" }, Directory.GetFiles(dir).Select(Path.GetFileName).ToArray());
        Directory.Delete(dir, true);
    }
}
