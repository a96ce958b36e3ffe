using System.IO.Compression;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// Checks a model zip's entry sizes before ML.NET inflates them. ML.NET's in-memory repository copies each entry it
/// opens into memory, in full, before our loader can compare it with the payload header; a zip bomb (gigabytes of
/// zeros compressed to megabytes) would exhaust memory there. .NET's zip reader never inflates an entry beyond the
/// size its central directory declares, so bounding the declared sizes bounds the inflation.
/// </summary>
internal static class ZipBombCheck
{
    /// <summary>Entries up to this size are accepted whatever their compression ratio.</summary>
    public const long SmallEntryBytes = 64L << 20;

    /// <summary>
    /// Highest compression ratio accepted for larger entries. Weights compress about 1.1:1, tokenizer files and JSON
    /// 3–10:1; only degenerate content (long runs of one byte) compresses past 100:1.
    /// </summary>
    public const long MaxRatio = 100;

    /// <summary>Throws <see cref="ModelPayloadException"/> when an entry of the zip in <paramref name="stream"/> is a bomb; leaves the position where it was.</summary>
    public static void Check(Stream stream, string where)
    {
        long start = stream.Position;
        try
        {
            using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            foreach (var entry in archive.Entries)
            {
                if (entry.Length > ZipPayloadReader.MaxEntryBytes)
                    throw new ModelPayloadException($"{where}: zip entry '{entry.FullName}' declares {entry.Length:N0} bytes, over the {ZipPayloadReader.MaxEntryBytes:N0}-byte limit of one entry.");
                if (entry.Length > SmallEntryBytes && entry.Length > MaxRatio * Math.Max(1, entry.CompressedLength))
                    throw new ModelPayloadException($"{where}: zip entry '{entry.FullName}' declares {entry.Length:N0} bytes compressed into {entry.CompressedLength:N0} " +
                        $"(over {MaxRatio}:1); a model zip never compresses like that: the file is hostile (a zip bomb). Refusing to inflate it.");
            }
        }
        catch (InvalidDataException) { } // not a zip: ML.NET reports it
        finally { stream.Position = start; }
    }
}
