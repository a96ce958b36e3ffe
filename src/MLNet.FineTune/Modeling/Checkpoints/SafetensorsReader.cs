using System.Runtime.InteropServices;
using MLNet.FineTune.Persistence;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
internal sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>
/// A bounds-checked reader of the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
/// header length, a JSON header mapping names to dtype/shape/data_offsets, then the data region. Every entry is checked
/// before any tensor is read: the header length has a limit (no "header bomb"), offsets stay inside the file, and
/// shape × dtype size equals the byte length. Tensors come back as float32 (F16 and BF16 are widened).
/// </summary>
internal sealed class SafetensorsReader
{
    /// <summary>Largest JSON header accepted (the format's own reference implementation uses 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    readonly long dataStart;
    readonly Func<Stream> open;

    SafetensorsReader(string path, Func<Stream> open, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata, long dataStart)
    {
        Path = path; this.open = open; Entries = entries; Metadata = metadata; this.dataStart = dataStart;
    }

    public static SafetensorsReader Open(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: file not found.");
        UserFile.CheckRegular(path, "safetensors weights");
        return Open(() => UserFile.OpenRead(path, "safetensors weights"), path);
    }

    /// <summary>A safetensors file held in memory (a model zip entry); <paramref name="description"/> names it in errors.</summary>
    public static SafetensorsReader Open(byte[] bytes, string description) => Open(() => new MemoryStream(bytes, writable: false), description);

    static SafetensorsReader Open(Func<Stream> open, string path)
    {
        using var stream = open();
        long fileLength = stream.Length;
        if (fileLength < 8) throw new CheckpointException($"{path}: truncated safetensors file ({fileLength} bytes; the 8-byte header length alone needs 8).");
        Span<byte> lenBytes = stackalloc byte[8];
        stream.ReadExactly(lenBytes);
        ulong headerLength = BitConverter.ToUInt64(lenBytes);
        if (headerLength > MaxHeaderBytes)
            throw new CheckpointException($"{path}: safetensors header claims {headerLength:N0} bytes, over the {MaxHeaderBytes:N0}-byte limit; the file is corrupt or hostile.");
        if (8 + (long)headerLength > fileLength)
            throw new CheckpointException($"{path}: truncated safetensors file: header claims {headerLength:N0} bytes but the file has {fileLength - 8:N0} after the length field.");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        // Duplicate tensor names are refused by the parser (the format's reference implementation refuses them too).
        var header = JsonFields.Parse(headerBytes, $"{path} (safetensors header)", m => new CheckpointException(m));

        long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart;
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>();
        foreach (var (name, _) in header.Fields)
        {
            if (name == "__metadata__")
            {
                if (header.Object(name) is { } meta)
                    foreach (var (k, _) in meta.Fields) metadata[k] = meta.String(k) ?? "";
                continue;
            }
            entries[name] = ParseEntry(header, name, dataLength);
        }
        CheckLayout(path, entries.Values, dataLength);
        return new SafetensorsReader(path, open, entries, metadata, dataStart);
    }

    static SafetensorsEntry ParseEntry(JsonFields header, string name, long dataLength)
    {
        var o = header.RequiredObject(name);
        string path = header.File;
        string dtype = o.RequiredString("dtype");
        var shape = o.LongArray("shape") ?? throw o.WrongType("shape", "an array of dimensions", null);
        var offsets = o.LongArray("data_offsets") ?? throw o.WrongType("data_offsets", "[begin, end]", null);
        if (offsets.Length != 2) throw o.WrongType("data_offsets", "[begin, end]", o.Raw("data_offsets"));
        long begin = offsets[0], end = offsets[1];
        int size = DTypeSize(dtype) ?? throw new CheckpointException($"{path}: tensor '{name}' has dtype {dtype}; supported: F32, F16, BF16 (and F64, I64, I32 read as float).");
        if (shape.Any(d => d < 0)) throw new CheckpointException($"{path}: tensor '{name}' has a negative dimension in shape [{string.Join(",", shape)}].");
        if (begin < 0 || end < begin || end > dataLength)
            throw new CheckpointException($"{path}: tensor '{name}' data_offsets [{begin}, {end}] fall outside the {dataLength:N0}-byte data region (truncated or corrupt file).");
        // The byte count, computed so that it cannot overflow: any product beyond the data region is already wrong.
        long expected = size;
        foreach (var d in shape)
        {
            if (d != 0 && expected > dataLength / d)
                throw new CheckpointException($"{path}: tensor '{name}' is {dtype} [{string.Join(",", shape)}], more bytes than the {dataLength:N0}-byte data region holds (corrupt shape).");
            expected *= d;
        }
        if (expected != end - begin)
            throw new CheckpointException($"{path}: tensor '{name}' is {dtype} [{string.Join(",", shape)}] = {expected:N0} bytes, but its data_offsets span {end - begin:N0} bytes (dtype/shape mismatch).");
        if (end - begin > Array.MaxLength)
            throw new CheckpointException($"{path}: tensor '{name}' is {end - begin:N0} bytes; tensors over {Array.MaxLength:N0} bytes are not supported.");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    /// <summary>
    /// Tensors must tile the data region exactly, as the format's reference implementation requires: sorted by offset,
    /// each starting where the previous ended, the last ending at the end of the file. Overlapping tensors would alias
    /// each other's bytes; gaps and trailing bytes mean a damaged or doctored file.
    /// </summary>
    static void CheckLayout(string path, IEnumerable<SafetensorsEntry> entries, long dataLength)
    {
        long position = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < position)
                throw new CheckpointException($"{path}: tensors '{previous!.Name}' [{previous.Begin}, {previous.End}] and '{e.Name}' [{e.Begin}, {e.End}] overlap in the data region (corrupt or doctored header).");
            if (e.Begin > position)
                throw new CheckpointException($"{path}: {e.Begin - position:N0} bytes before tensor '{e.Name}' (offset {e.Begin}) belong to no tensor; the data region has a gap (corrupt header).");
            position = e.End;
            previous = e;
        }
        if (position != dataLength)
            throw new CheckpointException($"{path}: the tensors cover {position:N0} bytes but the data region holds {dataLength:N0}; the file has {dataLength - position:N0} bytes the header does not describe (corrupt or not safetensors).");
    }

    static int? DTypeSize(string dtype) => dtype switch
    {
        "F32" or "I32" => 4, "F16" or "BF16" => 2, "F64" or "I64" => 8, _ => null,
    };

    /// <summary>Reads one tensor as float32 on the CPU.</summary>
    public Tensor ReadTensor(string name)
    {
        if (!Entries.TryGetValue(name, out var e)) throw new CheckpointException($"{Path}: no tensor named '{name}'.");
        var bytes = new byte[e.End - e.Begin];
        using (var stream = open())
        {
            stream.Seek(dataStart + e.Begin, SeekOrigin.Begin);
            stream.ReadExactly(bytes);
        }
        float[] values = e.DType switch
        {
            "F32" => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
            "F16" => MemoryMarshal.Cast<byte, Half>(bytes).ToArray().Select(h => (float)h).ToArray(),
            "BF16" => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray().Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray(),
            "F64" => MemoryMarshal.Cast<byte, double>(bytes).ToArray().Select(d => (float)d).ToArray(),
            "I64" => MemoryMarshal.Cast<byte, long>(bytes).ToArray().Select(d => (float)d).ToArray(),
            "I32" => MemoryMarshal.Cast<byte, int>(bytes).ToArray().Select(d => (float)d).ToArray(),
            _ => throw new CheckpointException($"{Path}: unsupported dtype {e.DType} for '{name}'."),
        };
        FiniteWeights.Check(values, name, Path);
        return torch.tensor(values, e.Shape, ScalarType.Float32);
    }

    /// <summary>Reads every tensor (for small files: adapters, heads, test fixtures).</summary>
    public Dictionary<string, Tensor> ReadAll()
    {
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var name in Entries.Keys) all[name] = ReadTensor(name);
        }
        catch
        {
            foreach (var tensor in all.Values) tensor.Dispose();
            throw;
        }
        return all;
    }
}
