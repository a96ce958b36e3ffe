using System.Text;
using Microsoft.ML;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tests.Persistence;

[TestClass]
public class PayloadSafetyTests
{
    static byte[] SavedModel()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ScalePipeline.Rows());
        using var stream = new MemoryStream();
        ml.Model.Save(ScalePipeline.Fit(ml, data), data.Schema, stream);
        return stream.ToArray();
    }

    static ModelPayloadException LoadFails(byte[] zip)
    {
        Exception? caught = null;
        try { new MLContext().Model.Load(new MemoryStream(zip), out _); }
        catch (Exception e) { caught = e; }
        // ML.NET may wrap loader exceptions; the specific one must be in the chain.
        for (var e = caught; e != null; e = e.InnerException)
            if (e is ModelPayloadException payload) return payload;
        Assert.Fail($"Expected ModelPayloadException, got {caught?.ToString() ?? "no exception"}");
        return null!;
    }

    /// <summary>Offset of the header magic inside our model stream ("Model.key" of the ScaleTransformer folder).</summary>
    static int HeaderStart(byte[] modelStream) => modelStream.AsSpan().IndexOf("MLNFTPAY"u8);

    static string ScaleModelKey(byte[] zip) => ModelZip.EntryNames(zip)
        .Single(n => n.EndsWith("/Model.key") && ModelZip.EntryNames(zip).Contains(n[..^"Model.key".Length] + "Payload/config.json"));

    [TestMethod]
    public void CorruptedEntryIsReportedBySha256()
    {
        var zip = ModelZip.Edit(SavedModel(), "/Payload/blobs/data.bin", b => { b[3] ^= 0xFF; return b; });
        var e = LoadFails(zip);
        StringAssert.Contains(e.Message, "payload entry 'blobs/data.bin' does not match its SHA-256");
    }

    [TestMethod]
    public void TruncatedEntryReportsBothLengths()
    {
        var zip = ModelZip.Edit(SavedModel(), "/Payload/blobs/data.bin", b => b[..4]);
        var e = LoadFails(zip);
        StringAssert.Contains(e.Message, "payload entry 'blobs/data.bin' has 4 bytes, the header says 7");
    }

    [TestMethod]
    public void NewerContainerVersionSaysFoundAndReadableVersions()
    {
        var original = SavedModel();
        var zip = ModelZip.Edit(original, ScaleModelKey(original), b => { BitConverter.TryWriteBytes(b.AsSpan(HeaderStart(b) + 8), 99); return b; });
        var e = LoadFails(zip);
        StringAssert.Contains(e.Message, "payload container format version 99 is newer than this MLNet.FineTune");
        StringAssert.Contains(e.Message, "reads (version 1)");
    }

    [TestMethod]
    public void NewerPayloadVersionSaysFoundAndReadableRange()
    {
        var original = SavedModel();
        var zip = ModelZip.Edit(original, ScaleModelKey(original), b =>
        {
            int at = HeaderStart(b) + 12;
            at += 4 + BitConverter.ToInt32(b, at); // assembly name
            at += 4 + BitConverter.ToInt32(b, at); // type name
            Assert.AreEqual(2, BitConverter.ToInt32(b, at), "ScaleTransformer declares PayloadVersion = 2");
            BitConverter.TryWriteBytes(b.AsSpan(at), 3);
            return b;
        });
        var e = LoadFails(zip);
        StringAssert.Contains(e.Message, "ScaleTransformer payload version 3 is newer than this build reads (versions 1 to 2)");
    }

    [TestMethod]
    public void UndeclaredTypeNameInModelIsRefused()
    {
        var original = SavedModel();
        var zip = ModelZip.Edit(original, ScaleModelKey(original), b =>
        {
            var from = Encoding.UTF8.GetBytes("Persistence.ScaleTransformer");
            var to = Encoding.UTF8.GetBytes("Persistence.UndeclaredTransf"); // same length keeps the layout
            int at = b.AsSpan().IndexOf(from);
            to.CopyTo(b, at);
            return b;
        });
        var e = LoadFails(zip);
        StringAssert.Contains(e.Message, "type 'MLNet.FineTune.Tests.Persistence.UndeclaredTransf' is not declared");
        StringAssert.Contains(e.Message, "refusing to instantiate it");
    }

    [TestMethod]
    [DataRow("../evil.bin", "the segment '..' is not allowed")]
    [DataRow("a/../../evil", "the segment '..' is not allowed")]
    [DataRow("/etc/passwd", "absolute paths are not allowed")]
    [DataRow("C:evil", "absolute paths are not allowed")]
    [DataRow("a\\b", "the character '\\' is not allowed")]
    [DataRow("a//b", "empty path segments")]
    public void EscapingEntryNameInHeaderIsRefused(string name, string problem)
    {
        var manifest = new PayloadManifest("A", "B", 1, [new PayloadManifest.Entry(name, 1, new byte[32])]);
        var buffer = new MemoryStream();
        // Write bypasses save-time checks on purpose: it plays the role of a hostile file.
        manifest.Write(new BinaryWriter(buffer));
        buffer.Position = 0;
        var e = Assert.ThrowsExactly<ModelPayloadException>(() => PayloadManifest.Read(new BinaryReader(buffer), "Model entry 'X'"));
        StringAssert.Contains(e.Message, $"unsafe name '{name}': {problem}");
    }

    [TestMethod]
    public void EscapingEntryNameIsRejectedOnSave()
    {
        Assert.IsNull(PayloadEntryName.Problem("tokenizer/vocab.txt"));
        var e = Assert.ThrowsExactly<ArgumentException>(() => PayloadEntryName.CheckForSave("../x"));
        StringAssert.Contains(e.Message, "Payload entry name '../x' is invalid: the segment '..' is not allowed");
    }

    [TestMethod]
    public void TruncatedHeaderSaysEndsEarly()
    {
        var buffer = new MemoryStream();
        new PayloadManifest("Asm", "Type", 1, [new PayloadManifest.Entry("a.bin", 3, new byte[32])]).Write(new BinaryWriter(buffer));
        var cut = buffer.ToArray()[..^10];
        var e = Assert.ThrowsExactly<ModelPayloadException>(() => PayloadManifest.Read(new BinaryReader(new MemoryStream(cut)), "Model entry 'X'"));
        StringAssert.Contains(e.Message, "Model entry 'X': payload header ends early; the model file is truncated or corrupted.");
    }

    [TestMethod]
    public void HugeStringLengthInHeaderIsRejectedWithoutAllocating()
    {
        var buffer = new MemoryStream();
        var w = new BinaryWriter(buffer);
        w.Write("MLNFTPAY"u8);
        w.Write(1);
        w.Write(int.MaxValue);
        buffer.Position = 0;
        var e = Assert.ThrowsExactly<ModelPayloadException>(() => PayloadManifest.Read(new BinaryReader(buffer), "M"));
        StringAssert.Contains(e.Message, $"assembly name has length {int.MaxValue} (expected 0 to 4096)");
    }
}
