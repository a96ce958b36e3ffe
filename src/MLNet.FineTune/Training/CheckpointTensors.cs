using MLNet.FineTune.Modeling.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>
/// Reads tensors in TorchSharp's own binary format (<c>Tensor.Save(BinaryWriter)</c>: LEB128 dtype, LEB128 rank, LEB128
/// dimensions, raw bytes) from checkpoint files without trusting them: the header is decoded and checked first
/// (known dtype, rank at most <see cref="MaxRank"/>, dimensions that fit in the bytes left in the file), so a truncated
/// or garbage file fails with the file's name instead of an allocation sized by garbage or an error from libtorch.
/// </summary>
internal static class CheckpointTensors
{
    /// <summary>Highest rank accepted; checkpoint tensors are at most 4-D.</summary>
    public const int MaxRank = 8;

    /// <summary>A tensor's header: dtype and shape.</summary>
    internal readonly record struct Header(ScalarType DType, long[] Shape, long Bytes)
    {
        public override string ToString() => $"{DType}[{string.Join(",", Shape)}]";
    }

    /// <summary>Reads the next tensor (new, on the CPU) after checking its header.</summary>
    public static Tensor Read(BinaryReader reader, string path, string what)
    {
        PeekHeader(reader, path, what);
        return Guard(path, what, () => TensorExtensionMethods.Load(reader));
    }

    /// <summary>Reads the next tensor into <paramref name="target"/>, which must have the same dtype and shape.</summary>
    public static void ReadInto(Tensor target, BinaryReader reader, string path, string what)
    {
        var header = PeekHeader(reader, path, what);
        if (header.DType != target.dtype || !header.Shape.SequenceEqual(target.shape))
            throw new CheckpointException($"{path}: {what} is {header} in the file but {target.dtype}[{string.Join(",", target.shape)}] here; " +
                "the checkpoint belongs to a model of another shape.");
        Guard(path, what, () => { target.Load(reader); return 0; });
    }

    /// <summary>Decodes and checks the header at the reader's position, leaving the position unchanged.</summary>
    public static Header PeekHeader(BinaryReader reader, string path, string what)
    {
        var stream = reader.BaseStream;
        long start = stream.Position;
        var dtype = (ScalarType)Decode(reader, path, what);
        long size = ElementSize(dtype);
        if (size == 0) throw new CheckpointException($"{path}: {what} has unknown element type code {(long)dtype}; the file is damaged.");
        long rank = Decode(reader, path, what);
        if (rank < 0 || rank > MaxRank) throw new CheckpointException($"{path}: {what} has rank {rank} (expected 0 to {MaxRank}); the file is damaged.");
        var shape = new long[rank];
        long bytes = size;
        long left = stream.Length - start;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = Decode(reader, path, what);
            if (shape[i] < 0 || (shape[i] > 0 && bytes > left / shape[i]))
                throw new CheckpointException($"{path}: {what} declares dimension {shape[i]} (shape so far [{string.Join(",", shape[..(i + 1)])}]), " +
                    $"more than the {left} bytes left in the file hold; the file is truncated or damaged.");
            bytes *= shape[i];
        }
        long remaining = stream.Length - stream.Position;
        if (bytes > remaining)
            throw new CheckpointException($"{path}: {what} ({dtype}[{string.Join(",", shape)}]) needs {bytes} bytes but only {remaining} are left; the file is truncated.");
        stream.Position = start;
        return new Header(dtype, shape, bytes);
    }

    /// <summary>Runs a read, turning an early end of file into a message naming the file.</summary>
    public static T Guard<T>(string path, string what, Func<T> read)
    {
        try { return read(); }
        catch (EndOfStreamException e) { throw new CheckpointException($"{path}: ends in the middle of {what}; the file is truncated.", e); }
        catch (FormatException e) { throw new CheckpointException($"{path}: {what} is not readable ({e.Message}); the file is damaged.", e); }
    }

    static long Decode(BinaryReader reader, string path, string what)
    {
        // LEB128 as TorchSharp writes it; at most 10 bytes for a 64-bit value.
        long value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            int b = reader.BaseStream.ReadByte();
            if (b < 0) throw new CheckpointException($"{path}: ends in the middle of {what}'s header; the file is truncated.");
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new CheckpointException($"{path}: {what}'s header holds an over-long number; the file is damaged.");
    }

    static long ElementSize(ScalarType type) => type switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => 0,
    };
}
