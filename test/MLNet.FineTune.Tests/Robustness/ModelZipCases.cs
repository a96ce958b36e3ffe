using System.IO.Compression;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Tests.Persistence;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 12: damaged or foreign model zips through the recommended load paths (<c>Model.LoadChecked</c> and
/// <c>Model.LoadInMemory</c>): the message names the file and says what was expected, never ML.NET's bare
/// "End of Central Directory record could not be found" or "Repository doesn't contain entry …".
/// </summary>
internal sealed class ModelZipCases : ICorpusSource
{
    /// <summary>A fitted FineTune text classifier saved as a zip, built once for all cases.</summary>
    internal static readonly Lazy<byte[]> FineTuneZip = new(() =>
    {
        var ml = new MLContext(seed: 1);
        var data = CorpusFixtures.Sentiment(ml, 24);
        var model = CorpusFixtures.Fit(CorpusFixtures.Quick, rows: 24);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        return stream.ToArray();
    });

    /// <summary>Another ML.NET model with no FineTune payload (MinMax normalization of a float vector).</summary>
    static byte[] PlainMlNetZip()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ScalePipeline.Rows());
        using var stream = new MemoryStream();
        ml.Model.Save(ml.Transforms.NormalizeMinMax("Features").Fit(data), data.Schema, stream);
        return stream.ToArray();
    }

    static byte[] ZipOf(params (string Name, string Text)[] entries)
    {
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, text) in entries)
            {
                using var w = new StreamWriter(archive.CreateEntry(name).Open());
                w.Write(text);
            }
        return stream.ToArray();
    }

    static byte[] Without(byte[] zip, string suffix)
    {
        var copy = new MemoryStream();
        copy.Write(zip);
        using (var archive = new ZipArchive(copy, ZipArchiveMode.Update, leaveOpen: true))
            archive.Entries.First(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal)).Delete();
        return copy.ToArray();
    }

    /// <summary>The FineTune transformer's model stream (its Model.key, next to its Payload folder).</summary>
    static string FineTuneModelKey(byte[] zip) => ModelZip.EntryNames(zip)
        .Single(n => n.EndsWith("/Model.key", StringComparison.Ordinal) && ModelZip.EntryNames(zip).Any(m => m.StartsWith(n[..^"Model.key".Length] + "Payload/", StringComparison.Ordinal)));

    static byte[] EditManifest(byte[] zip, Action<byte[], int> edit) => ModelZip.Edit(zip, FineTuneModelKey(zip), b =>
    {
        edit(b, b.AsSpan().IndexOf("MLNFTPAY"u8));
        return b;
    });

    /// <summary>The two load paths that wrap errors; each case runs through both.</summary>
    static readonly (string Name, Func<MLContext, string, ITransformer> Load)[] Loaders =
    [
        ("checked", (ml, path) => ml.Model.LoadChecked(path, out _)),
        ("inmemory", (ml, path) => ml.Model.LoadInMemory(path, out _)),
        ("inmemory-stream", (ml, path) => { using var s = File.OpenRead(path); return ml.Model.LoadInMemory(s, out _); }),
    ];

    public IEnumerable<CorpusCase> Cases()
    {
        // name, how the file at <folder>/model.zip is made (null: nothing there), words the message must contain.
        var damaged = new (string Name, Action<string> Make, string[] Mention)[]
        {
            ("empty-file", p => File.WriteAllBytes(p, []), ["model.zip", "empty"]),
            ("text-file-renamed-zip", p => File.WriteAllText(p, "label,text\n1,great movie\n"), ["model.zip", "not a zip", "expected an ML.NET model zip"]),
            ("random-bytes", p => File.WriteAllBytes(p, Enumerable.Range(0, 4096).Select(i => (byte)(i * 131 % 251)).ToArray()), ["model.zip", "not a zip"]),
            ("json-renamed-zip", p => File.WriteAllText(p, """{"model": "bert"}"""), ["model.zip", "not a zip"]),
            ("truncated-to-half", p => File.WriteAllBytes(p, FineTuneZip.Value[..(FineTuneZip.Value.Length / 2)]), ["model.zip", "damaged or truncated"]),
            ("truncated-to-100-bytes", p => File.WriteAllBytes(p, FineTuneZip.Value[..100]), ["model.zip", "damaged or truncated"]),
            ("last-byte-cut", p => File.WriteAllBytes(p, FineTuneZip.Value[..^1]), ["model.zip"]),
            ("zip-of-text-files", p => File.WriteAllBytes(p, ZipOf(("readme.txt", "hello"), ("data/train.csv", "1,good"))), ["model.zip", "expected an ML.NET model zip"]),
            ("empty-zip", p => File.WriteAllBytes(p, ZipOf()), ["model.zip", "expected an ML.NET model zip"]),
            ("payload-weights-entry-removed", p => File.WriteAllBytes(p, Without(FineTuneZip.Value, "/Payload/weights/model.safetensors")), ["model.zip", "weights/model.safetensors", "missing"]),
            ("payload-card-entry-removed", p => File.WriteAllBytes(p, Without(FineTuneZip.Value, "/Payload/model_card.json")), ["model.zip", "model_card.json", "missing"]),
            ("model-stream-removed", p => File.WriteAllBytes(p, Without(FineTuneZip.Value, FineTuneModelKey(FineTuneZip.Value))), ["model.zip", "expected an ML.NET model zip"]),
            ("manifest-magic-garbage", p => File.WriteAllBytes(p, EditManifest(FineTuneZip.Value, (b, at) => Encoding.ASCII.GetBytes("GARBAGE!").CopyTo(b, at))), ["model.zip", "MLNFTPAY"]),
            ("manifest-entry-count-huge", p => File.WriteAllBytes(p, EditManifest(FineTuneZip.Value, (b, at) =>
            {
                // magic, container version, then two strings (assembly, type), payload version, entry count.
                int pos = at + 12;
                for (int s = 0; s < 2; s++) pos += 4 + BitConverter.ToInt32(b, pos);
                BitConverter.TryWriteBytes(b.AsSpan(pos + 4), int.MaxValue);
            })), ["model.zip", "entries"]),
            ("manifest-cut-after-magic", p => File.WriteAllBytes(p, EditManifest(FineTuneZip.Value, (b, at) => Array.Clear(b, at + 8, b.Length - at - 8))), ["model.zip"]),
            ("weights-entry-bit-flipped", p => File.WriteAllBytes(p, ModelZip.Edit(FineTuneZip.Value, "/Payload/weights/model.safetensors", b => { b[^5] ^= 0x40; return b; })), ["model.zip", "SHA-256"]),
        };
        foreach (var (loader, load) in Loaders)
        {
            foreach (var (name, make, mention) in damaged)
                yield return CorpusCase.Refused("zip", $"{loader}-{name}", folder =>
                {
                    var path = Path.Combine(folder, "model.zip");
                    make(path);
                    load(new MLContext(1), path);
                }, mention);
            if (loader == "inmemory-stream") continue; // a stream has no path: the path cases below are the file overloads'
            yield return CorpusCase.Refused("zip", $"{loader}-missing-file", folder => load(new MLContext(1), Path.Combine(folder, "model.zip")), "model.zip", "does not exist");
            yield return CorpusCase.Refused("zip", $"{loader}-directory-path", folder =>
            {
                Directory.CreateDirectory(Path.Combine(folder, "model.zip"));
                load(new MLContext(1), Path.Combine(folder, "model.zip"));
            }, "model.zip", "is a folder");
        }
        yield return CorpusCase.Refused("zip", "inmemory-memory-stream-not-a-zip", _ => new MLContext(1).Model.LoadInMemory(new MemoryStream(Encoding.UTF8.GetBytes("not a zip at all")), out DataViewSchema? _),
            "model stream", "not a zip");
        yield return CorpusCase.Refused("zip", "inmemory-memory-stream-empty", _ => new MLContext(1).Model.LoadInMemory(new MemoryStream(), out DataViewSchema? _), "model stream", "empty");

        yield return CorpusCase.Accepted("zip", "checked-plain-mlnet-model-loads", folder =>
        {
            var path = Path.Combine(folder, "model.zip");
            File.WriteAllBytes(path, PlainMlNetZip());
            var ml = new MLContext(1);
            var model = ml.Model.LoadChecked(path, out var schema);
            Assert.IsNotNull(schema.GetColumnOrNull("Features"));
            var scaled = model.Transform(ml.Data.LoadFromEnumerable(ScalePipeline.Rows())).GetColumn<float[]>("Features").ToArray();
            Assert.IsTrue(scaled.SelectMany(v => v).All(v => v >= -1 && v <= 1));
        });
        foreach (var (loader, load) in Loaders)
            yield return CorpusCase.Accepted("zip", $"{loader}-finetune-model-loads-and-scores", folder =>
            {
                var path = Path.Combine(folder, "model.zip");
                File.WriteAllBytes(path, FineTuneZip.Value);
                var ml = new MLContext(1);
                var model = load(ml, path);
                var probabilities = model.Transform(CorpusFixtures.Sentiment(ml, 6)).GetColumn<float>("Probability").ToArray();
                Assert.AreEqual(6, probabilities.Length);
                Assert.IsTrue(probabilities.All(p => p is >= 0 and <= 1));
            });
    }
}
