using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>One converted weight: torch layout ([out, in] for linear layers), float32.</summary>
internal sealed record ImportedWeight(long[] Shape, float[] Values);

/// <summary>
/// An encoder converted from ONNX: the config recovered from the graph and the weights under their Hugging Face
/// names, in managed memory (a fresh tensor per <see cref="ToStateDict"/> call, because loaders dispose what they read).
/// </summary>
internal sealed class ImportedEncoder
{
    public ImportedEncoder(TransformerConfig config, SortedDictionary<string, ImportedWeight> weights, string producer, long opset)
    {
        Config = config; Weights = weights; Producer = producer; Opset = opset;
        sha256 = new Lazy<string>(ComputeSha256);
    }

    readonly Lazy<string> sha256;

    public TransformerConfig Config { get; }
    /// <summary>By Hugging Face name, in ordinal order.</summary>
    public IReadOnlyDictionary<string, ImportedWeight> Weights { get; }
    public string Producer { get; }
    public long Opset { get; }

    /// <summary>
    /// sha256 (hex) over the converted weights: names, shapes and float bytes in name order. The base model's identity
    /// must not depend on how the ONNX file happens to be serialized (node names, initializer order, opset), only on
    /// the weights it holds, so two exports of one checkpoint share adapters and trainable-only model zips.
    /// </summary>
    public string Sha256 => sha256.Value;

    public Dictionary<string, Tensor> ToStateDict() =>
        Weights.ToDictionary(kv => kv.Key, kv => torch.tensor(kv.Value.Values, kv.Value.Shape, ScalarType.Float32));

    string ComputeSha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData("MLNet.FineTune weights v1\n"u8);
        Span<byte> number = stackalloc byte[8];
        foreach (var (name, weight) in Weights)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData([0]);
            BinaryPrimitives.WriteInt64LittleEndian(number, weight.Shape.Length);
            hash.AppendData(number);
            foreach (var d in weight.Shape)
            {
                BinaryPrimitives.WriteInt64LittleEndian(number, d);
                hash.AppendData(number);
            }
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The weights hash is defined over little-endian floats.");
            hash.AppendData(MemoryMarshal.AsBytes(weight.Values.AsSpan()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
