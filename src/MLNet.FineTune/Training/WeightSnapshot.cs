using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>
/// A detached copy of a module's state dict (parameters and buffers), used to keep the best weights and to
/// write weights to checkpoints. Restoring copies values in place, so optimizer references stay valid and
/// the module keeps its device.
/// File layout: magic string, entry count (int32), then per entry: name, tensor (TorchSharp's tensor format).
/// </summary>
internal sealed class WeightSnapshot : IDisposable
{
    const string Magic = "MLNet.FineTune.Weights.v1";
    readonly Dictionary<string, Tensor> tensors;

    WeightSnapshot(Dictionary<string, Tensor> tensors) => this.tensors = tensors;

    /// <summary>Names of the captured tensors.</summary>
    public IReadOnlyCollection<string> Names => this.tensors.Keys;

    /// <summary>Copies every parameter and buffer of the module.</summary>
    public static WeightSnapshot Capture(nn.Module module)
    {
        using var noGrad = no_grad();
        var copy = module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
        return new WeightSnapshot(copy);
    }

    /// <summary>Copies the snapshot's values back into the module (same names, shapes and dtypes required, checked first).</summary>
    public void RestoreInto(nn.Module module, string what = "snapshot")
    {
        using var noGrad = no_grad();
        CheckMatches(module, what);
        var live = module.state_dict();
        foreach (var (name, value) in this.tensors) live[name].copy_(value);
    }

    /// <summary>Throws unless the snapshot has exactly the module's tensor names, each with the module's dtype and shape.</summary>
    /// <exception cref="InvalidDataException">Names, dtypes or shapes differ; the message names <paramref name="what"/> and the first difference.</exception>
    public void CheckMatches(nn.Module module, string what)
    {
        var live = module.state_dict();
        Check(live.Keys, what);
        foreach (var (name, value) in this.tensors)
            if (value.dtype != live[name].dtype || !value.shape.SequenceEqual(live[name].shape))
                throw new InvalidDataException($"Weights {what}: '{name}' is {value.dtype}[{string.Join(",", value.shape)}] but the module's is " +
                    $"{live[name].dtype}[{string.Join(",", live[name].shape)}]; they belong to a model of another shape.");
    }

    /// <summary>Writes the snapshot to a file.</summary>
    public void Save(string path) => Write(this.tensors, path);

    /// <summary>Reads a snapshot written by <see cref="Save"/> or <see cref="WriteModule"/>.</summary>
    /// <exception cref="Modeling.Checkpoints.CheckpointException">The file is truncated, damaged or not a weights file.</exception>
    public static WeightSnapshot Load(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            ReadHeader(reader, path, out int count);
            for (int i = 0; i < count; i++)
            {
                string name = CheckpointTensors.Guard(path, $"tensor {i}'s name", reader.ReadString);
                if (!tensors.TryAdd(name, CheckpointTensors.Read(reader, path, $"tensor '{name}'").DetachFromDisposeScope()))
                    throw new Modeling.Checkpoints.CheckpointException($"{path}: tensor '{name}' appears twice; the file is damaged.");
            }
            return new WeightSnapshot(tensors);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>Writes the module's current weights without an intermediate copy.</summary>
    public static void WriteModule(nn.Module module, string path) => Write(module.state_dict(), path);

    /// <summary>Reads weights written by <see cref="WriteModule"/> into the module, in place.</summary>
    public static void ReadInto(nn.Module module, string path)
    {
        using var snapshot = Load(path);
        snapshot.RestoreInto(module, path);
    }

    /// <summary>Frees the copies.</summary>
    public void Dispose()
    {
        foreach (var t in this.tensors.Values) t.Dispose();
    }

    void Check(IEnumerable<string> liveNames, string what)
    {
        var live = liveNames.ToHashSet();
        var missing = live.Except(this.tensors.Keys).ToList();
        var extra = this.tensors.Keys.Except(live).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new InvalidDataException($"Weights {what} does not match the module: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}].");
    }

    static void Write(IReadOnlyDictionary<string, Tensor> tensors, string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(Magic);
        writer.Write(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            writer.Write(name);
            tensor.Save(writer);
        }
    }

    static void ReadHeader(BinaryReader reader, string path, out int count)
    {
        string magic = CheckpointTensors.Guard(path, "the header", () => reader.BaseStream.Length > 0 && reader.BaseStream.ReadByte() == Magic.Length
            ? System.Text.Encoding.UTF8.GetString(reader.ReadBytes(Magic.Length)) : "");
        if (magic != Magic) throw new Modeling.Checkpoints.CheckpointException($"{path}: not a weights file (expected header '{Magic}'); the file is damaged or of another kind.");
        count = CheckpointTensors.Guard(path, "the tensor count", reader.ReadInt32);
        // Each entry takes at least 4 bytes (name length, dtype, rank, one dimension), so the file's size bounds the count.
        if (count < 0 || count > reader.BaseStream.Length / 4)
            throw new Modeling.Checkpoints.CheckpointException($"{path}: declares {count} tensors, impossible in a file of {reader.BaseStream.Length} bytes; the file is truncated or damaged.");
    }
}
