using System.Text;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// The versioned binary header a <see cref="ZipPersistedTransformer"/> writes into its ML.NET model stream.
/// Layout (little-endian), container format version 1:
/// <code>
/// byte[8]  magic "MLNFTPAY"
/// int32    container format version (1)
/// str      simple name of the assembly declaring the transformer
/// str      full name of the transformer type
/// int32    payload version (the transformer's own layout version)
/// int32    entry count N (0..MaxEntries)
/// N times: str entry name, int64 length in bytes, byte[32] SHA-256 of the entry
/// str = int32 byte count (0..MaxStringBytes) + UTF-8 bytes
/// </code>
/// The entries themselves are separate zip entries "Payload/&lt;name&gt;" next to the model stream.
/// </summary>
internal sealed record PayloadManifest(string AssemblyName, string TypeName, int PayloadVersion, IReadOnlyList<PayloadManifest.Entry> Entries)
{
    internal static ReadOnlySpan<byte> Magic => "MLNFTPAY"u8;
    internal const int ContainerVersion = 1;
    internal const int MaxEntries = 10_000;
    internal const int MaxStringBytes = 4096;

    /// <summary>One payload entry: name, byte length and SHA-256.</summary>
    internal sealed record Entry(string Name, long Length, byte[] Sha256);

    internal void Write(BinaryWriter writer)
    {
        writer.Write(Magic);
        writer.Write(ContainerVersion);
        WriteString(writer, AssemblyName);
        WriteString(writer, TypeName);
        writer.Write(PayloadVersion);
        writer.Write(Entries.Count);
        foreach (var entry in Entries)
        {
            WriteString(writer, entry.Name);
            writer.Write(entry.Length);
            writer.Write(entry.Sha256);
        }
    }

    /// <summary>Reads and validates a header; <paramref name="where"/> names the model entry for messages.</summary>
    internal static PayloadManifest Read(BinaryReader reader, string where)
    {
        try
        {
            var magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
                throw new ModelPayloadException($"{where}: payload header does not start with 'MLNFTPAY' (found '{Encoding.ASCII.GetString(magic)}'); the model file is corrupted.");
            int version = reader.ReadInt32();
            if (version != ContainerVersion)
                throw new ModelPayloadException(version > ContainerVersion
                    ? $"{where}: payload container format version {version} is newer than this MLNet.FineTune ({typeof(PayloadManifest).Assembly.GetName().Version}) reads (version {ContainerVersion}); upgrade MLNet.FineTune to load this model."
                    : $"{where}: payload container format version {version} is invalid (this library reads version {ContainerVersion}); the model file is corrupted.");
            var assembly = ReadString(reader, where, "assembly name");
            var type = ReadString(reader, where, "type name");
            int payloadVersion = reader.ReadInt32();
            int count = reader.ReadInt32();
            if (count < 0 || count > MaxEntries)
                throw new ModelPayloadException($"{where}: payload header lists {count} entries (expected 0 to {MaxEntries}); the model file is corrupted.");
            var entries = new List<Entry>(count);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                var name = ReadString(reader, where, $"entry {i} name");
                var problem = PayloadEntryName.Problem(name);
                if (problem != null)
                    throw new ModelPayloadException($"{where}: payload entry {i} has the unsafe name '{name}': {problem}. Refusing to load.");
                if (!seen.Add(name))
                    throw new ModelPayloadException($"{where}: payload entry '{name}' is listed twice; the model file is corrupted.");
                long length = reader.ReadInt64();
                if (length < 0)
                    throw new ModelPayloadException($"{where}: payload entry '{name}' has negative length {length}; the model file is corrupted.");
                var hash = reader.ReadBytes(32);
                if (hash.Length != 32) throw new EndOfStreamException();
                entries.Add(new Entry(name, length, hash));
            }
            return new PayloadManifest(assembly, type, payloadVersion, entries);
        }
        catch (EndOfStreamException e)
        {
            throw new ModelPayloadException($"{where}: payload header ends early; the model file is truncated or corrupted.", e);
        }
    }

    static void WriteString(BinaryWriter writer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length > MaxStringBytes) throw new ArgumentException($"'{value[..40]}...' is longer than {MaxStringBytes} UTF-8 bytes.");
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    static string ReadString(BinaryReader reader, string where, string what)
    {
        int length = reader.ReadInt32();
        if (length < 0 || length > MaxStringBytes)
            throw new ModelPayloadException($"{where}: payload header {what} has length {length} (expected 0 to {MaxStringBytes}); the model file is corrupted.");
        var bytes = reader.ReadBytes(length);
        if (bytes.Length != length) throw new EndOfStreamException();
        return Encoding.UTF8.GetString(bytes);
    }
}
