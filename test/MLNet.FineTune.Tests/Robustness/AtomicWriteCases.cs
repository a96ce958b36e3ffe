using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tests.Peft;
using MLNet.FineTune.Tests.Persistence;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 9: what interrupted writes leave behind. Checkpoint temp folders and SaveAtomic temp files of a
/// killed writer are deleted by the next write to the same place (only our own name patterns, only writers that are
/// gone or abandoned); an adapter folder is replaced as a whole, so the previous adapter stays readable whenever the
/// save is interrupted.
/// </summary>
internal sealed class AtomicWriteCases : ICorpusSource
{
    /// <summary>The PID of a process that has exited: what a writer killed with -9 leaves in its temp names.</summary>
    static readonly Lazy<int> deadPid = new(() =>
    {
        using var child = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        child.WaitForExit();
        return child.Id;
    });

    static string Guid32 => Guid.NewGuid().ToString("N");

    static PeftModel Lora(float shift) => AdapterSaveLoop.Lora(shift);

    static float LoadedShift(string folder) => AdapterSaveLoop.LoadedShift(folder);

    static void SaveModel(MLContext ml, string path)
    {
        var data = ml.Data.LoadFromEnumerable(ScalePipeline.Rows());
        ml.Model.SaveAtomic(ml.Transforms.NormalizeMinMax("Features").Fit(data), data.Schema, path);
    }

    public IEnumerable<CorpusCase> Cases()
    {
        const string C = "atomic";

        // Checkpoint temp folders.
        yield return CorpusCase.Accepted(C, "checkpoint-temp-folders-of-killed-writers-are-deleted-by-the-next-run", folder =>
        {
            var root = Path.Combine(folder, "checkpoints");
            string Temp(string name) { var p = Path.Combine(root, name); Directory.CreateDirectory(p); File.WriteAllText(Path.Combine(p, "model.bin"), "partial"); return p; }
            var dead = Temp($".tmp-checkpoint-7-{AtomicSaveTempFiles.Writer(deadPid.Value)}-{Guid32}");
            var oldName = Temp($".tmp-checkpoint-3-{Guid32}");
            foreach (var f in Directory.GetFiles(oldName).Append(oldName)) { File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-3)); Directory.SetLastWriteTimeUtc(oldName, DateTime.UtcNow.AddHours(-3)); }
            var live = Temp($".tmp-checkpoint-9-{AtomicSaveTempFiles.Writer(1)}-{Guid32}");      // PID 1 is alive: a write in progress
            var freshOldName = Temp($".tmp-checkpoint-4-{Guid32}");                               // no PID, written just now: maybe in progress
            var otherHost = Temp($".tmp-checkpoint-5-another-host-{deadPid.Value}-{Guid32}");    // a PID says nothing about another machine
            var userFolder = Temp(".tmp-checkpoint-notes");                                       // not our name pattern
            CorpusFixtures.Fit(CheckpointResumeCases.WithCheckpoints(root, resume: false));
            Assert.IsFalse(Directory.Exists(dead), "temp folder of a dead writer");
            Assert.IsFalse(Directory.Exists(oldName), "abandoned temp folder from before writers were named");
            foreach (var kept in new[] { live, freshOldName, otherHost, userFolder }) Assert.IsTrue(Directory.Exists(kept), kept);
            Assert.AreEqual(1, Directory.GetDirectories(root, "checkpoint-*").Length);
        });
        yield return CorpusCase.Accepted(C, "failed-checkpoint-write-leaves-no-temp-folder", folder =>
        {
            var root = Path.Combine(folder, "checkpoints");
            Assert.ThrowsExactly<InvalidOperationException>(() => MLNet.FineTune.Training.Checkpoints.Write(root, 5, 2, temp =>
            {
                File.WriteAllText(Path.Combine(temp, "model.bin"), "half");
                throw new InvalidOperationException("disk full");
            }));
            Assert.AreEqual(0, Directory.GetFileSystemEntries(root).Length);
        });

        // SaveAtomic temp files.
        yield return CorpusCase.Accepted(C, "save-atomic-deletes-temp-files-of-killed-saves", folder =>
        {
            var path = Path.Combine(folder, "model.zip");
            var dead = Path.Combine(folder, $".model.zip.{AtomicSaveTempFiles.Writer(deadPid.Value)}.{Guid32}.tmp");
            var live = Path.Combine(folder, $".model.zip.{AtomicSaveTempFiles.Writer(1)}.{Guid32}.tmp");
            var other = Path.Combine(folder, $".other.zip.{AtomicSaveTempFiles.Writer(deadPid.Value)}.{Guid32}.tmp");
            foreach (var f in new[] { dead, live, other }) File.WriteAllText(f, "partial");
            SaveModel(new MLContext(1), path);
            Assert.IsFalse(File.Exists(dead));
            Assert.IsTrue(File.Exists(live) && File.Exists(other));
            Assert.IsNotNull(new MLContext(1).Model.LoadChecked(path, out _));
        });
        yield return CorpusCase.Accepted(C, "save-atomic-failing-mid-write-keeps-the-previous-zip", folder =>
        {
            var path = Path.Combine(folder, "model.zip");
            var ml = new MLContext(1);
            SaveModel(ml, path);
            var before = File.ReadAllBytes(path);
            var data = ml.Data.LoadFromEnumerable(ScalePipeline.Rows());
            // A transformer ML.NET cannot save: the save fails after the temp file was created.
            var unsaveable = new FailingSaveTransformer();
            Assert.Throws<Exception>(() => ml.Model.SaveAtomic(unsaveable, data.Schema, path));
            CollectionAssert.AreEqual(before, File.ReadAllBytes(path));
            CollectionAssert.AreEqual(new[] { "model.zip" }, Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
        });
        yield return CorpusCase.Refused(C, "save-atomic-into-a-missing-folder", folder => SaveModel(new MLContext(1), Path.Combine(folder, "no-such-folder", "model.zip")),
            "no-such-folder", "does not exist");
        yield return CorpusCase.Refused(C, "save-atomic-onto-a-folder", folder =>
        {
            Directory.CreateDirectory(Path.Combine(folder, "model.zip"));
            SaveModel(new MLContext(1), Path.Combine(folder, "model.zip"));
        }, "model.zip", "is a folder");

        // Adapter folders.
        yield return CorpusCase.Accepted(C, "lora-adapter-save-failing-between-renames-keeps-the-previous-adapter", folder =>
        {
            var adapter = Path.Combine(folder, "adapter");
            LoraAdapterFile.Save(adapter, Lora(0.25f));
            AtomicFolderWrite.BetweenRenames = () => throw new IOException("simulated failure between the renames");
            try { Assert.ThrowsExactly<IOException>(() => LoraAdapterFile.Save(adapter, Lora(0.5f))); }
            finally { AtomicFolderWrite.BetweenRenames = null; }
            Assert.AreEqual(0.25f, LoadedShift(adapter));
            Assert.AreEqual(1, Directory.GetDirectories(folder).Length, "no temp or backup folder left");
        });
        yield return CorpusCase.Accepted(C, "lora-adapter-save-killed-between-renames-is-restored-on-load", folder =>
        {
            // The state a kill -9 between the two renames leaves: the old adapter renamed away, the new one complete in its temp folder.
            var adapter = Path.Combine(folder, "adapter");
            LoraAdapterFile.Save(adapter, Lora(0.25f));
            var writer = AtomicSaveTempFiles.Writer(deadPid.Value);
            Directory.Move(adapter, Path.Combine(folder, $".adapter.{writer}.{Guid32}.old"));
            LoraAdapterFile.Save(Path.Combine(folder, "new"), Lora(0.5f));
            Directory.Move(Path.Combine(folder, "new"), Path.Combine(folder, $".adapter.{writer}.{Guid32}.tmp"));
            Assert.AreEqual(0.25f, LoadedShift(adapter));
            CollectionAssert.AreEqual(new[] { "adapter" }, Directory.GetDirectories(folder).Select(Path.GetFileName).ToArray());
        });
        yield return CorpusCase.Accepted(C, "lora-adapter-save-killed-while-writing-leaves-the-previous-adapter-and-is-cleaned", folder =>
        {
            var adapter = Path.Combine(folder, "adapter");
            LoraAdapterFile.Save(adapter, Lora(0.25f));
            var temp = Path.Combine(folder, $".adapter.{AtomicSaveTempFiles.Writer(deadPid.Value)}.{Guid32}.tmp");
            Directory.CreateDirectory(temp);
            File.WriteAllText(Path.Combine(temp, "adapter_model.safetensors"), "half-written");
            Assert.AreEqual(0.25f, LoadedShift(adapter));
            LoraAdapterFile.Save(adapter, Lora(0.5f));
            Assert.AreEqual(0.5f, LoadedShift(adapter));
            Assert.IsFalse(Directory.Exists(temp));
        });
        yield return CorpusCase.Accepted(C, "lora-adapter-resave-keeps-the-users-other-files", folder =>
        {
            var adapter = Path.Combine(folder, "adapter");
            LoraAdapterFile.Save(adapter, Lora(0.25f));
            File.WriteAllText(Path.Combine(adapter, "README.md"), "# my adapter");
            LoraAdapterFile.Save(adapter, Lora(0.5f));
            Assert.AreEqual("# my adapter", File.ReadAllText(Path.Combine(adapter, "README.md")));
            Assert.AreEqual(0.5f, LoadedShift(adapter));
        });
        yield return CorpusCase.Refused(C, "lora-adapter-save-onto-a-file", folder =>
        {
            var adapter = Path.Combine(folder, "adapter");
            File.WriteAllText(adapter, "a file, not a folder");
            LoraAdapterFile.Save(adapter, Lora(0.25f));
        }, "adapter", "a file of that name exists");
        yield return CorpusCase.Accepted(C, "prompt-adapter-save-failing-between-renames-keeps-the-previous-adapter", folder =>
        {
            var adapter = Path.Combine(folder, "prompt");
            var encoder = MLNet.FineTune.Modeling.EncoderFactory.Create(PeftTestModels.Tiny());
            var prompt = new PromptEmbedding(encoder, new PromptTuningOptions { NumVirtualTokens = 4 });
            using (no_grad()) prompt.Weight.fill_(0.25f);
            PromptTuningAdapterFile.Save(adapter, prompt);
            using (no_grad()) prompt.Weight.fill_(0.5f);
            AtomicFolderWrite.BetweenRenames = () => throw new IOException("simulated failure between the renames");
            try { Assert.ThrowsExactly<IOException>(() => PromptTuningAdapterFile.Save(adapter, prompt)); }
            finally { AtomicFolderWrite.BetweenRenames = null; }
            using var loaded = PromptTuningAdapterFile.Load(adapter).Weights;
            Assert.AreEqual(0.25f, loaded.mean().item<float>());
        });
    }
}

/// <summary>A transformer whose save fails part-way (a full disk, a crash): what SaveAtomic must survive.</summary>
internal sealed class FailingSaveTransformer : ITransformer
{
    public bool IsRowToRowMapper => false;
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();
    public IDataView Transform(IDataView input) => input;
    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new IOException("simulated: no space left on device");
}
