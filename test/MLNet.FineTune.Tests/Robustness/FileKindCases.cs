using System.IO.Compression;
using Microsoft.ML;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tokenization;
using static MLNet.FineTune.Tests.Robustness.UntrustedFileFixtures;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 6: files that are not regular files (a FIFO, a symlink to /dev/zero) where the library expects
/// weights, configs, tokenizer files or adapters — they hung the hasher and the readers forever — and model zips whose
/// entries inflate far beyond what the payload header declares (zip bombs). Each must be refused quickly, before
/// reading, and a bomb without inflating more than the declared size.
/// </summary>
internal sealed class FileKindCases : ICorpusSource
{
    const string Category = "filekind";

    /// <summary>Hang cases must be refused before any read: well under the harness's 60 s.</summary>
    static readonly TimeSpan Fast = TimeSpan.FromSeconds(20);

    static CorpusCase Special(string name, Action<string> run, params string[] mention) =>
        CorpusCase.Refused(Category, name, folder =>
        {
            if (OperatingSystem.IsWindows()) throw new AssertInconclusiveException("FIFOs and /dev/zero are Unix cases.");
            run(folder);
        }, mention) with { Timeout = Fast };

    /// <summary>The kinds of non-regular file a careless or hostile user can put in place of a file.</summary>
    static readonly (string Name, Action<string> Make, string Mention)[] Kinds =
    [
        ("fifo", path => { File.Delete(path); MakeFifo(path); }, "FIFO"),
        ("symlink-to-dev-zero", path => Symlink(path, "/dev/zero"), "character device"),
        ("symlink-to-fifo", path => { var fifo = path + ".pipe"; MakeFifo(fifo); Symlink(path, fifo); }, "FIFO"),
    ];

    public IEnumerable<CorpusCase> Cases() => UntrustedFileFixtures.Disposing(AllCases());

    static IEnumerable<CorpusCase> AllCases()
    {
        foreach (var (kind, make, mention) in Kinds)
        {
            yield return Special($"model-safetensors-{kind}-load", folder =>
            {
                CorpusFixtures.TinyBert(folder);
                make(Path.Combine(folder, "model.safetensors"));
                PretrainedEncoder.Load(folder);
            }, "model.safetensors", mention);
            yield return Special($"model-safetensors-{kind}-hash", folder =>
            {
                CorpusFixtures.TinyBert(folder);
                make(Path.Combine(folder, "model.safetensors"));
                BaseModelIdentity.FromFolder(folder);
            }, "model.safetensors", mention);
            yield return Special($"model-safetensors-{kind}-fit", folder =>
            {
                CorpusFixtures.TinyBert(folder);
                make(Path.Combine(folder, "model.safetensors"));
                CorpusFixtures.Fit(CorpusFixtures.OnCheckpoint(folder), rows: 8);
            }, "model.safetensors", mention);
            foreach (var file in new[] { "config.json", "vocab.txt", "tokenizer_config.json" })
                yield return Special($"{file}-{kind}", folder =>
                {
                    CorpusFixtures.TinyBert(folder);
                    make(Path.Combine(folder, file));
                    CorpusFixtures.Fit(CorpusFixtures.OnCheckpoint(folder), rows: 8);
                }, file, mention);
            yield return Special($"shard-{kind}", folder =>
            {
                CorpusFixtures.TinyBert(folder);
                var names = SafetensorsReader.Open(Path.Combine(folder, "model.safetensors")).Entries.Keys;
                File.Move(Path.Combine(folder, "model.safetensors"), Path.Combine(folder, "shard-1.safetensors"));
                var map = new System.Text.Json.Nodes.JsonObject();
                foreach (var n in names) map[n] = "shard-1.safetensors";
                File.WriteAllText(Path.Combine(folder, CheckpointFolder.IndexFile), new System.Text.Json.Nodes.JsonObject { ["weight_map"] = map }.ToJsonString());
                make(Path.Combine(folder, "shard-1.safetensors"));
                PretrainedEncoder.Load(folder);
            }, "shard-1.safetensors", mention);
            yield return Special($"index-json-{kind}", folder =>
            {
                CorpusFixtures.TinyBert(folder);
                File.Delete(Path.Combine(folder, "model.safetensors"));
                File.WriteAllText(Path.Combine(folder, CheckpointFolder.IndexFile), "{}");
                make(Path.Combine(folder, CheckpointFolder.IndexFile));
                PretrainedEncoder.Load(folder);
            }, CheckpointFolder.IndexFile, mention);
            yield return Special($"tokenizer-json-{kind}", folder =>
            {
                File.WriteAllText(Path.Combine(folder, "tokenizer.json"), "{}");
                make(Path.Combine(folder, "tokenizer.json"));
                TransformerTokenizer.FromFolder(folder);
            }, "tokenizer.json", mention);
            yield return Special($"lora-adapter-config-{kind}", folder =>
            {
                LoraAdapter(folder);
                make(Path.Combine(folder, LoraAdapterConfig.FileName));
                LoadLora(folder);
            }, "adapter_config.json", mention);
            yield return Special($"lora-adapter-weights-{kind}", folder =>
            {
                LoraAdapter(folder);
                make(Path.Combine(folder, LoraAdapterFile.WeightsFile));
                LoadLora(folder);
            }, "adapter_model.safetensors", mention);
            yield return Special($"prompt-adapter-weights-{kind}", folder =>
            {
                PromptAdapter(folder);
                make(Path.Combine(folder, PromptTuningAdapterFile.WeightsFile));
                PromptTuningAdapterFile.Load(folder);
            }, "adapter_model.safetensors", mention);
            yield return Special($"model-onnx-{kind}", folder =>
            {
                File.WriteAllText(Path.Combine(folder, "vocab.txt"), "[PAD]\n");
                var path = Path.Combine(folder, OnnxFileName);
                File.WriteAllText(path, "");
                make(path);
                PretrainedEncoder.Load(folder);
            }, OnnxFileName, mention);
            yield return Special($"load-in-memory-zip-{kind}", folder =>
            {
                var path = Path.Combine(folder, "model.zip");
                File.WriteAllText(path, "");
                make(path);
                new MLContext(1).Model.LoadInMemory(path, out _);
            }, "model.zip", mention);
        }

        yield return CorpusCase.Refused(Category, "model-safetensors-is-a-directory", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            File.Delete(Path.Combine(folder, "model.safetensors"));
            Directory.CreateDirectory(Path.Combine(folder, "model.safetensors"));
            PretrainedEncoder.Load(folder);
        }, "no weights found");
        yield return CorpusCase.Refused(Category, "model-safetensors-dangling-symlink", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            Symlink(Path.Combine(folder, "model.safetensors"), Path.Combine(folder, "gone.safetensors"));
            PretrainedEncoder.Load(folder);
        }, "model.safetensors");
        yield return CorpusCase.Refused(Category, "vocab-txt-dangling-symlink", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            Symlink(Path.Combine(folder, "vocab.txt"), Path.Combine(folder, "gone.txt"));
            TransformerTokenizer.FromFolder(folder);
        }, "vocab.txt");
        yield return CorpusCase.Accepted(Category, "model-safetensors-symlink-to-regular-file", folder =>
        {
            var real = Path.Combine(folder, "blobs");
            CorpusFixtures.TinyBert(real);
            var linked = Path.Combine(folder, "snapshot");
            Directory.CreateDirectory(linked);
            foreach (var file in Directory.GetFiles(real)) File.CreateSymbolicLink(Path.Combine(linked, Path.GetFileName(file)), file);
            Assert.AreEqual(CheckpointFolder.WeightsSha256(real), CheckpointFolder.WeightsSha256(linked));
            Assert.AreEqual(0, PretrainedEncoder.Load(linked).Report.Missing.Count);
        });

        // Zip bombs: an entry replaced by hundreds of MB of zeros that deflate to a few hundred KB, the payload header
        // left as it was. Refused from the zip's directory before anything is inflated.
        foreach (var (entry, megabytes, fromStream) in new[] { ("weights/model.safetensors", 200, false), ("weights/model.safetensors", 200, true),
                     ("finetune.json", 200, false), ("tokenizer/config.json", 200, true) })
            yield return CorpusCase.Refused(Category, $"zip-bomb-{entry.Replace('/', '-')}-{megabytes}MB-from-{(fromStream ? "stream" : "file")}", folder =>
            {
                if (fromStream) LoadZipInMemory(Bomb(entry, megabytes));
                else LoadZip(Bomb(entry, megabytes), folder);
            }, entry, "declares", "zip bomb") with { MaxAllocatedBytes = 96L << 20 };
        // Small enough to pass the ratio check: inflating stops at the length the payload header declares.
        yield return CorpusCase.Refused(Category, "zip-entry-inflates-past-declared-length", folder =>
            LoadZip(Bomb("finetune.json", 16), folder), "finetune.json", "declares", "zip bomb") with { MaxAllocatedBytes = 128L << 20 };
        yield return CorpusCase.Refused(Category, "zip-entry-shorter-than-declared", folder =>
            LoadZip(ReplaceEntry(TinyZip, "Payload/weights/model.safetensors", s => s.Write(new byte[100])), folder),
            "weights/model.safetensors", "100 bytes");
    }

    const string OnnxFileName = "model.onnx";

    /// <summary>The tiny model zip with <paramref name="entry"/> replaced by <paramref name="megabytes"/> MB of zeros (compressed, a few hundred KB).</summary>
    static byte[] Bomb(string entry, int megabytes) =>
        ReplaceEntry(TinyZip, "Payload/" + entry, s =>
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < megabytes; i++) s.Write(zeros);
        }, CompressionLevel.SmallestSize);
}
