using Microsoft.ML;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Tests.Robustness;

namespace MLNet.FineTune.Tests.Persistence;

/// <summary>
/// ML.NET's own <c>Model.Load</c> extracts entries to temporary files before our loader runs; the loader still reads
/// each payload entry only up to the length its header declares (issue #12 item 6). ML.NET reports loader errors
/// wrapped in a TargetInvocationException, so the specific error is looked for in the chain.
/// </summary>
[TestClass]
public class ZipBombModelLoadTests
{
    [TestMethod]
    public void ModelLoadStopsInflatingAnEntryAtItsDeclaredLength()
    {
        var zip = UntrustedFileFixtures.ReplaceEntry(UntrustedFileFixtures.TinyZip, "Payload/weights/model.safetensors", s =>
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 100; i++) s.Write(zeros);
        }, System.IO.Compression.CompressionLevel.SmallestSize);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? caught = null;
        try { new MLContext(1).Model.Load(new MemoryStream(zip), out _); }
        catch (Exception e) { caught = e; }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var payload = Chain(caught).OfType<ModelPayloadException>().FirstOrDefault();
        Assert.IsNotNull(payload, caught?.ToString() ?? "no exception");
        StringAssert.Contains(payload.Message, "weights/model.safetensors' inflates to more than");
        Assert.IsTrue(allocated < 64L << 20, $"allocated {allocated >> 20} MiB");
    }

    static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e != null; e = e.InnerException) yield return e;
    }
}
