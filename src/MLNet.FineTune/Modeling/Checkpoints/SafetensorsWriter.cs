using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Checkpoints;

/// <summary>
/// Writes float32 tensors in the safetensors format, with the layout Hugging Face writes: keys sorted, 8-byte aligned
/// header padded with spaces, <c>__metadata__ = {"format": "pt"}</c> plus any extra metadata. The file is written to a
/// temporary name and renamed, so a failure never leaves a half-written file at the target path.
/// </summary>
internal static class SafetensorsWriter
{
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var tmp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = File.Create(tmp)) Write(stream, tensors, metadata);
            File.Move(tmp, path, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }

    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        if (metadata != null) foreach (var (k, v) in metadata) meta[k] = v;
        header["__metadata__"] = meta;
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var name in names)
        {
            using var t = tensors[name].detach().to(ScalarType.Float32).cpu().contiguous();
            var bytes = MemoryMarshal.AsBytes(t.data<float>().ToArray().AsSpan()).ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        var headerBytes = new byte[padded];
        Array.Fill(headerBytes, (byte)' ');
        json.CopyTo(headerBytes, 0);
        stream.Write(BitConverter.GetBytes((ulong)padded));
        stream.Write(headerBytes);
        foreach (var b in blobs) stream.Write(b);
    }
}
