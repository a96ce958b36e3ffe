using System.Reflection;
using MLNet.FineTune.Modeling;

namespace MLNet.FineTune.Pretrained;

/// <summary>A model whose ONNX graph and vocabulary are manifest resources of a NuGet package's assembly.</summary>
internal sealed class EmbeddedPretrainedModel : PretrainedModel
{
    readonly string assemblyName, resourcePrefix;
    readonly Lazy<string> folder;

    public EmbeddedPretrainedModel(string name, string hubId, string license, string pooling, string assemblyName, string resourcePrefix)
    {
        Name = name; HubId = hubId; License = license; Pooling = pooling;
        this.assemblyName = assemblyName; this.resourcePrefix = resourcePrefix;
        folder = new(() => ModelCache.GetOrCreate(this), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public override string Name { get; }
    public override string HubId { get; }
    public override string License { get; }
    public override string Pooling { get; }
    public override string GetFolder() => folder.Value;
    /// <summary>The NuGet package (and assembly) whose resources hold the model.</summary>
    public string SourcePackage => assemblyName;

    /// <summary>Opens one of the package's resources ("model.onnx", "vocab.txt").</summary>
    public Stream Open(string file)
    {
        Assembly assembly;
        try { assembly = Assembly.Load(assemblyName); }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException)
        {
            throw new FileNotFoundException($"Pretrained model {Name} needs the NuGet package {assemblyName} beside MLNet.FineTune.Pretrained; " +
                $"it is a dependency of the package, so restore/publish the app again ({e.Message}).", e);
        }
        return assembly.GetManifestResourceStream(resourcePrefix + file)
            ?? throw new InvalidDataException($"{assemblyName} has no resource '{resourcePrefix + file}' (has: {string.Join(", ", assembly.GetManifestResourceNames())}).");
    }
}
