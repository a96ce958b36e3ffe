using Microsoft.ML;
using MLNet.FineTune.Modeling.Checkpoints;
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

    [TestMethod]
    public void SaveDeletesTemporaryFilesThatKilledSavesOfTheSameTargetLeft()
    {
        var dir = NewFolder();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ScalePipeline.Rows());
        var path = Path.Combine(dir, "model.zip");
        // A writer that is gone (killed with -9): a child process that has exited.
        using var child = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        child.WaitForExit();
        string Temp(string target, string? writer) => Path.Combine(dir, $".{target}.{(writer is null ? "" : writer + ".")}{Guid.NewGuid():N}.tmp");
        var deadWriter = Temp("model.zip", AtomicSaveTempFiles.Writer(child.Id));
        var oldUnnamed = Temp("model.zip", null);                                   // the name before writers put their PID in it
        var liveWriter = Temp("model.zip", AtomicSaveTempFiles.Writer(1));          // PID 1 is always alive: a save in progress
        var otherHost = Temp("model.zip", $"another-host-{child.Id}");             // that PID says nothing about another machine
        var otherTarget = Temp("other.zip", AtomicSaveTempFiles.Writer(child.Id));
        var unrelated = Path.Combine(dir, "notes.txt");
        foreach (var f in new[] { deadWriter, oldUnnamed, liveWriter, otherHost, otherTarget, unrelated }) File.WriteAllText(f, "partial");
        File.SetLastWriteTimeUtc(oldUnnamed, DateTime.UtcNow.AddHours(-2));

        ml.Model.SaveAtomic(ScalePipeline.Fit(ml, data), data.Schema, path);

        Assert.IsFalse(File.Exists(deadWriter), "temp file of a dead writer");
        Assert.IsFalse(File.Exists(oldUnnamed), "old temp file without a PID");
        Assert.IsTrue(File.Exists(liveWriter), "temp file of a live writer");
        Assert.IsTrue(File.Exists(otherHost), "fresh temp file written from another host");
        Assert.IsTrue(File.Exists(otherTarget), "temp file of another target");
        Assert.AreEqual("partial", File.ReadAllText(unrelated));
        Assert.IsTrue(File.Exists(path));
        Directory.Delete(dir, true);
    }
}
