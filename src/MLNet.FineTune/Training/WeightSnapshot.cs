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

    /// <summary>Copies the snapshot's values back into the module (same names and shapes required).</summary>
    public void RestoreInto(nn.Module module)
    {
        using var noGrad = no_grad();
        var live = module.state_dict();
        Check(live.Keys, "snapshot");
        foreach (var (name, value) in this.tensors) live[name].copy_(value);
    }

    /// <summary>Writes the snapshot to a file.</summary>
    public void Save(string path) => Write(this.tensors, path);

    /// <summary>Reads a snapshot written by <see cref="Save"/> or <see cref="WriteModule"/>.</summary>
    public static WeightSnapshot Load(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        ReadHeader(reader, path, out int count);
        var tensors = new Dictionary<string, Tensor>(count);
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            tensors[name] = TensorExtensionMethods.Load(reader).DetachFromDisposeScope();
        }
        return new WeightSnapshot(tensors);
    }

    /// <summary>Writes the module's current weights without an intermediate copy.</summary>
    public static void WriteModule(nn.Module module, string path) => Write(module.state_dict(), path);

    /// <summary>Reads weights written by <see cref="WriteModule"/> into the module, in place.</summary>
    public static void ReadInto(nn.Module module, string path)
    {
        using var snapshot = Load(path);
        snapshot.RestoreInto(module);
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
        string magic = reader.ReadString();
        if (magic != Magic) throw new InvalidDataException($"{path}: expected header '{Magic}', found '{magic}'.");
        count = reader.ReadInt32();
    }
}
