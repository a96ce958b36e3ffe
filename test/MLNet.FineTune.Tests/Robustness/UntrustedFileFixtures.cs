using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Files a careless or hostile user hands the library (item 3–6 cases): JSON edited in place, hand-built safetensors,
/// PEFT adapter folders, FIFOs, model zips with a replaced entry.
/// </summary>
internal static class UntrustedFileFixtures
{
    /// <summary>
    /// Runs each case inside a torch dispose scope: encoders and tensors a case loads (or leaves behind when refused)
    /// are freed when it ends, not by the finalizer during some later test.
    /// </summary>
    public static IEnumerable<CorpusCase> Disposing(IEnumerable<CorpusCase> cases) =>
        cases.Select(c => c with { Run = folder => { using var scope = NewDisposeScope(); c.Run(folder); } });

    /// <summary>Reads the JSON object at <paramref name="path"/>, applies <paramref name="edit"/>, writes it back.</summary>
    public static void EditJson(string path, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    /// <summary>A JSON value parsed from text (so tests can write any literal, e.g. "\"0.1\"", "[1]", "null").</summary>
    public static JsonNode? Literal(string json) => JsonNode.Parse(json);

    /// <summary>The wrong-type literals a careless edit produces, by name.</summary>
    public static readonly (string Name, string Json)[] WrongTypes =
    [
        ("string", "\"12\""), ("float", "12.5"), ("bool", "true"), ("array", "[12]"), ("object", "{\"value\": 12}"),
    ];

    /// <summary>Writes a safetensors file from a raw header JSON and data bytes (no checks: this is how corrupt files are made).</summary>
    public static void WriteSafetensors(string path, string header, byte[] data)
    {
        var headerBytes = Encoding.UTF8.GetBytes(header);
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
        stream.Write(headerBytes);
        stream.Write(data);
    }

    /// <summary>Saves <paramref name="tensors"/> (float32) as safetensors.</summary>
    public static void Save(string path, Dictionary<string, float[]> tensors, Func<string, long[]>? shape = null)
    {
        using var scope = NewDisposeScope();
        SafetensorsWriter.Save(path, tensors.ToDictionary(kv => kv.Key, kv => tensor(kv.Value, shape?.Invoke(kv.Key) ?? [kv.Value.Length])));
    }

    /// <summary>A LoRA model over the tiny BERT, as LoraAdapterFile.Load needs it.</summary>
    public static PeftModel LoraModel()
    {
        var model = new PeftModel(new PeftOptions { Method = PeftMethod.Lora }, "bert");
        model.Attach(EncoderFactory.Create(TinyModels.Bert(), model.Projection));
        return model;
    }

    /// <summary>Writes a valid PEFT LoRA adapter folder for <see cref="LoraModel"/>.</summary>
    public static string LoraAdapter(string folder)
    {
        Directory.CreateDirectory(folder);
        LoraAdapterFile.Save(folder, LoraModel());
        return folder;
    }

    public static void LoadLora(string folder) => LoraAdapterFile.Load(folder, LoraModel());

    /// <summary>Writes a valid PEFT prompt-tuning adapter folder (4 virtual tokens over the tiny BERT's hidden size 32).</summary>
    public static string PromptAdapter(string folder, float fill = 0.5f)
    {
        Directory.CreateDirectory(folder);
        var weights = Enumerable.Repeat(fill, 4 * 32).ToArray();
        Save(Path.Combine(folder, PromptTuningAdapterFile.WeightsFile), new() { [PromptTuningAdapterFile.PromptKey] = weights }, _ => [4, 32]);
        File.WriteAllText(Path.Combine(folder, LoraAdapterConfig.FileName), new PromptTuningAdapterConfig { NumVirtualTokens = 4, TokenDim = 32 }.ToJson("bert"));
        return folder;
    }

    /// <summary>Makes a FIFO (named pipe) at <paramref name="path"/>; reading it blocks until someone writes.</summary>
    public static void MakeFifo(string path)
    {
        using var process = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true })!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new AssertInconclusiveException($"mkfifo failed: {process.StandardError.ReadToEnd()}");
    }

    /// <summary>Replaces <paramref name="path"/> with a symlink to <paramref name="target"/>.</summary>
    public static void Symlink(string path, string target)
    {
        if (File.Exists(path)) File.Delete(path);
        File.CreateSymbolicLink(path, target);
    }

    static readonly Lazy<byte[]> tinyZip = new(() =>
    {
        var ml = new MLContext(seed: 1);
        var data = CorpusFixtures.Sentiment(ml, 16);
        var model = ml.Transforms.FineTune(CorpusFixtures.Quick with { Training = (CorpusFixtures.Quick.Training ?? new()) with { MaxSteps = 1 } }).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        return stream.ToArray();
    });

    /// <summary>A saved model zip of the tiny built-in model (fitted once per test run, one training step).</summary>
    public static byte[] TinyZip => tinyZip.Value;

    /// <summary>
    /// <paramref name="zip"/> with the entry whose name ends in <paramref name="suffix"/> replaced (written with
    /// <paramref name="level"/>). Copied into a new archive in Create mode, which compresses as it streams: building
    /// a bomb never holds it inflated.
    /// </summary>
    public static byte[] ReplaceEntry(byte[] zip, string suffix, Action<Stream> write, CompressionLevel level = CompressionLevel.Optimal)
    {
        var copy = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read))
        using (var target = new ZipArchive(copy, ZipArchiveMode.Create, leaveOpen: true))
        {
            bool replaced = false;
            foreach (var entry in source.Entries)
            {
                bool match = !replaced && entry.FullName.EndsWith(suffix, StringComparison.Ordinal);
                using var output = target.CreateEntry(entry.FullName, match ? level : CompressionLevel.Optimal).Open();
                if (match) { write(output); replaced = true; }
                else { using var input = entry.Open(); input.CopyTo(output); }
            }
            if (!replaced) throw new InvalidOperationException($"No zip entry ends with '{suffix}'.");
        }
        return copy.ToArray();
    }

    /// <summary>The bytes of the zip entry whose name ends in <paramref name="suffix"/>.</summary>
    public static byte[] Entry(byte[] zip, string suffix)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        using var s = archive.Entries.First(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal)).Open();
        var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>
    /// Loads a model zip from a file with <c>LoadInMemory</c> and scores two rows. (ML.NET's own <c>Model.Load</c>
    /// reports our loader's errors wrapped in a TargetInvocationException, which the corpus counts as a crash.)
    /// </summary>
    public static void LoadZip(byte[] zip, string folder)
    {
        var ml = new MLContext(seed: 1);
        var path = Path.Combine(folder, "model.zip");
        File.WriteAllBytes(path, zip);
        var model = ml.Model.LoadInMemory(path, out _);
        _ = model.Transform(CorpusFixtures.Sentiment(ml, 2)).Preview();
    }

    /// <summary>Loads a model zip from memory with <c>LoadInMemory</c> (no temp files).</summary>
    public static void LoadZipInMemory(byte[] zip)
    {
        var ml = new MLContext(seed: 1);
        _ = ml.Model.LoadInMemory(new MemoryStream(zip), out _);
    }
}

/// <summary>
/// Edits a FineTune model zip's payload as a deliberate editor would: replaces an entry and rewrites its length and
/// SHA-256 in the payload header (fixed-size fields, patched in place), so only our content checks stand in the way.
/// </summary>
internal static class PayloadEdits
{
    public static byte[] Replace(byte[] zip, string entry, byte[] content)
    {
        var payloadName = ModelZipEntryName(zip, "Payload/" + entry);
        var modelKey = payloadName[..^("Payload/" + entry).Length] + "Model.key";
        var header = UntrustedFileFixtures.Entry(zip, modelKey);
        int at = header.AsSpan().IndexOf("MLNFTPAY"u8) + 8 + 4;
        at = SkipString(header, at);
        at = SkipString(header, at);
        at += 4;
        int count = BitConverter.ToInt32(header, at);
        at += 4;
        for (int i = 0; i < count; i++)
        {
            int nameStart = at + 4, nameLength = BitConverter.ToInt32(header, at);
            at = SkipString(header, at);
            if (System.Text.Encoding.UTF8.GetString(header, nameStart, nameLength) == entry)
            {
                BitConverter.GetBytes((long)content.Length).CopyTo(header, at);
                System.Security.Cryptography.SHA256.HashData(content).CopyTo(header, at + 8);
            }
            at += 8 + 32;
        }
        var edited = UntrustedFileFixtures.ReplaceEntry(zip, payloadName, s => s.Write(content));
        return UntrustedFileFixtures.ReplaceEntry(edited, modelKey, s => s.Write(header));
    }

    static int SkipString(byte[] bytes, int at) => at + 4 + BitConverter.ToInt32(bytes, at);

    static string ModelZipEntryName(byte[] zip, string suffix)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.First(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal)).FullName;
    }
}
