using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// Collects the named binary entries of a <see cref="ZipPersistedTransformer"/> while ML.NET saves the model.
/// Each entry is streamed straight into the model .zip (as "Payload/&lt;name&gt;") and its length and SHA-256 are
/// recorded in the header, so loading can tell a truncated or altered entry from a good one.
/// Valid only during <see cref="ZipPersistedTransformer.SavePayload"/>.
/// </summary>
internal sealed class ZipPayloadWriter
{
    internal const string EntryPrefix = "Payload/";
    readonly ModelSaveContext ctx;
    readonly List<PayloadManifest.Entry> entries = new();
    readonly HashSet<string> names = new(StringComparer.Ordinal);

    internal ZipPayloadWriter(ModelSaveContext ctx) => this.ctx = ctx;

    internal IReadOnlyList<PayloadManifest.Entry> Entries => this.entries;

    /// <summary>Adds an entry whose content <paramref name="write"/> streams (large weights, files).</summary>
    /// <param name="name">Relative name such as "config.json" or "tokenizer/vocab.txt" (A-Z a-z 0-9 . _ - and '/').</param>
    /// <param name="write">Writes the content; must not close the stream.</param>
    public void Add(string name, Action<Stream> write)
    {
        PayloadEntryName.CheckForSave(name);
        ArgumentNullException.ThrowIfNull(write);
        if (!this.names.Add(name)) throw new ArgumentException($"Payload entry '{name}' was already added.", nameof(name));
        long length = 0;
        byte[] hash = Array.Empty<byte>();
        this.ctx.SaveBinaryStream(EntryPrefix + name, writer =>
        {
            using var hashing = new HashingWriteStream(writer.BaseStream);
            write(hashing);
            (length, hash) = (hashing.Length, hashing.FinishHash());
        });
        this.entries.Add(new PayloadManifest.Entry(name, length, hash));
    }

    /// <summary>Adds an entry holding <paramref name="bytes"/>.</summary>
    public void AddBytes(string name, ReadOnlyMemory<byte> bytes) => Add(name, s => s.Write(bytes.Span));

    /// <summary>Adds an entry holding <paramref name="text"/> as UTF-8 without a byte-order mark.</summary>
    public void AddText(string name, string text) => AddBytes(name, Encoding.UTF8.GetBytes(text));

    /// <summary>Adds an entry holding <paramref name="value"/> serialized with System.Text.Json (plain data, no type names).</summary>
    public void AddJson<T>(string name, T value, JsonSerializerOptions? options = null)
        => AddBytes(name, JsonSerializer.SerializeToUtf8Bytes(value, options));

    /// <summary>Adds an entry holding the bytes of the file at <paramref name="path"/>.</summary>
    public void AddFile(string name, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Payload entry '{name}': file '{path}' does not exist.", path);
        Add(name, s => { using var f = File.OpenRead(path); f.CopyTo(s); });
    }

    /// <summary>Write-only pass-through that counts bytes and hashes them with SHA-256.</summary>
    sealed class HashingWriteStream(Stream inner) : Stream
    {
        readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => this.length;
        public override long Position { get => this.length; set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            this.hash.AppendData(buffer);
            this.length += buffer.Length;
        }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public byte[] FinishHash() => this.hash.GetHashAndReset();
        protected override void Dispose(bool disposing) { if (disposing) this.hash.Dispose(); base.Dispose(disposing); }
    }
}
