using System.IO.Compression;

namespace MLNet.FineTune.Tests.Persistence;

/// <summary>Reads and rewrites entries of a saved model .zip, to damage it on purpose.</summary>
public static class ModelZip
{
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
