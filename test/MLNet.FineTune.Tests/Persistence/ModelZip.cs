using System.IO.Compression;

namespace MLNet.FineTune.Tests.Persistence;

/// <summary>Round-trips models through a saved .zip in memory, and reads and rewrites its entries to damage it on purpose.</summary>
public static class ModelZip
{
    /// <summary>Saves <paramref name="model"/> into a zip in memory and loads it back with the same context.</summary>
    public static T Reload<T>(Microsoft.ML.MLContext ml, Microsoft.ML.ITransformer model, Microsoft.ML.DataViewSchema schema) where T : class, Microsoft.ML.ITransformer
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, schema, stream);
        stream.Position = 0;
        return (T)ml.Model.Load(stream, out _);
    }

    public static string[] EntryNames(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.Select(e => e.FullName).ToArray();
    }

    /// <summary>Returns a copy of <paramref name="zip"/> where the first entry whose name ends with <paramref name="suffix"/> is passed through <paramref name="edit"/>.</summary>
    public static byte[] Edit(byte[] zip, string suffix, Func<byte[], byte[]> edit)
    {
        var copy = new MemoryStream();
        copy.Write(zip);
        using (var archive = new ZipArchive(copy, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = archive.Entries.First(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal));
            byte[] bytes;
            using (var s = entry.Open()) { var m = new MemoryStream(); s.CopyTo(m); bytes = m.ToArray(); }
            var name = entry.FullName;
            entry.Delete();
            using var w = archive.CreateEntry(name).Open();
            w.Write(edit(bytes));
        }
        return copy.ToArray();
    }
}
