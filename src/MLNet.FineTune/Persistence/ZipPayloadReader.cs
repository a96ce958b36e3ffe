using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// The payload of a <see cref="ZipPersistedTransformer"/> read back from a model .zip. Every entry listed in the
/// header is read and checked (present, same length, same SHA-256) before the transformer's
/// <see cref="IZipPersistedLoadable{TSelf}.Load"/> sees it, so a damaged file fails at load with a specific message.
/// Entries are bytes only: nothing is deserialized by type name or executed.
/// </summary>
internal sealed class ZipPayloadReader
{
    readonly Dictionary<string, byte[]> entries;
    readonly string where;

    internal ZipPayloadReader(string where, int payloadVersion, Dictionary<string, byte[]> entries)
        => (this.where, PayloadVersion, this.entries) = (where, payloadVersion, entries);

    /// <summary>The payload layout version the transformer wrote (already checked against the declared range).</summary>
    public int PayloadVersion { get; }

    /// <summary>Names of all entries, in the order they were written.</summary>
    public IReadOnlyCollection<string> EntryNames => this.entries.Keys;

    /// <summary>Whether an entry named <paramref name="name"/> exists.</summary>
    public bool Contains(string name) => this.entries.ContainsKey(name);

    /// <summary>The bytes of entry <paramref name="name"/>; throws <see cref="ModelPayloadException"/> when absent.</summary>
    public ReadOnlyMemory<byte> ReadBytes(string name)
        => this.entries.TryGetValue(name, out var bytes) ? bytes
            : throw new ModelPayloadException($"{this.where}: payload has no entry '{name}' (entries: {string.Join(", ", this.entries.Keys)}).");

    /// <summary>A read-only stream over entry <paramref name="name"/>.</summary>
    public Stream OpenRead(string name)
    {
        _ = ReadBytes(name); // specific error when absent
        return new MemoryStream(this.entries[name], writable: false);
    }

    /// <summary>Entry <paramref name="name"/> decoded as UTF-8.</summary>
    public string ReadText(string name) => Encoding.UTF8.GetString(ReadBytes(name).Span);

    /// <summary>
    /// Entry <paramref name="name"/> parsed with System.Text.Json into plain data, strictly: duplicate keys, a null
    /// where the type is not nullable and a missing constructor parameter are errors, not defaults (a model zip is a
    /// file someone may have edited).
    /// </summary>
    public T ReadJson<T>(string name, JsonSerializerOptions? options = null)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(ReadBytes(name).Span, Strict(options))
                ?? throw new ModelPayloadException($"{this.where}: payload entry '{name}' holds JSON null, expected {typeof(T).Name}.");
        }
        catch (JsonException e)
        {
            throw new ModelPayloadException($"{this.where}: payload entry '{name}' is not valid JSON for {typeof(T).Name}: {e.Message}", e);
        }
    }

    static JsonSerializerOptions Strict(JsonSerializerOptions? options) => options is null ? StrictDefaults : new(options)
    {
        AllowDuplicateProperties = false, RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true,
    };

    static readonly JsonSerializerOptions StrictDefaults = Strict(new JsonSerializerOptions());

    /// <summary>Reads every entry listed in <paramref name="manifest"/> from the model folder and verifies it.</summary>
    internal static ZipPayloadReader Read(ModelLoadContext ctx, PayloadManifest manifest, string where)
    {
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in manifest.Entries)
        {
            byte[]? bytes = null;
            bool found = ctx.TryLoadBinaryStream(ZipPayloadWriter.EntryPrefix + entry.Name, reader => bytes = ReadBounded(reader.BaseStream, entry, where));
            if (!found || bytes == null)
                throw new ModelPayloadException($"{where}: payload entry '{entry.Name}' listed in the header is missing from the model file; it is truncated or corrupted.");
            if (bytes.LongLength != entry.Length)
                throw new ModelPayloadException($"{where}: payload entry '{entry.Name}' has {bytes.LongLength} bytes, the header says {entry.Length}; the model file is truncated or corrupted.");
            if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(entry.Sha256))
                throw new ModelPayloadException($"{where}: payload entry '{entry.Name}' does not match its SHA-256 in the header; the model file is corrupted.");
            entries.Add(entry.Name, bytes);
        }
        return new ZipPayloadReader(where, manifest.PayloadVersion, entries);
    }

    /// <summary>Largest payload entry read (entries are held as one byte array).</summary>
    internal static readonly long MaxEntryBytes = Array.MaxLength;

    /// <summary>
    /// Reads an entry while it inflates, never past its declared length: a zip bomb (an entry compressed to megabytes
    /// that inflates to gigabytes) is refused after at most declared + 1 bytes, and memory grows with the bytes really
    /// read, not with what the header claims.
    /// </summary>
    // Never inlined into a caller's delegate (LINQ, ML.NET): the error's first stack frame stays ours.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static byte[] ReadBounded(Stream stream, PayloadManifest.Entry entry, string where)
    {
        if (entry.Length > MaxEntryBytes)
            throw new ModelPayloadException($"{where}: payload entry '{entry.Name}' is declared as {entry.Length:N0} bytes, over the {MaxEntryBytes:N0}-byte limit of one entry.");
        using var copy = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, entry.Length + 1 - copy.Length))) > 0)
        {
            copy.Write(buffer, 0, read);
            if (copy.Length > entry.Length)
                throw new ModelPayloadException($"{where}: payload entry '{entry.Name}' inflates to more than the {entry.Length:N0} bytes the header declares; " +
                    "the model file is corrupted or hostile (a zip bomb). Stopped reading.");
        }
        return copy.ToArray();
    }
}
