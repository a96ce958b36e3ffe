using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Persistence;

// ML.NET finds this loader from the model file alone: the model stream records our loader signature and this
// assembly's name, and ModelLoadContext registers that assembly's LoadableClass attributes before loading.
[assembly: LoadableClass(typeof(ZipPersistedTransformer), typeof(ZipPersistedTransformerLoader), null,
    typeof(SignatureLoadModel), "MLNet.FineTune zip-persisted transformer", ZipPersistedTransformerLoader.LoaderSignature)]

namespace MLNet.FineTune.Persistence;

/// <summary>
/// The one ML.NET loader behind every <see cref="ZipPersistedTransformer"/>: reads and checks the header, loads the
/// declaring assembly by its simple name (as ML.NET itself does for loaders), accepts the type only if that assembly
/// declares it with <see cref="ZipPersistedTransformerAttribute"/>, verifies the payload, then calls its static Load.
/// </summary>
internal static class ZipPersistedTransformerLoader
{
    internal const string ModelSignature = "MLNFTZIP";
    internal const string LoaderSignature = "MLNetFineTuneZipXf";

    // Fixed forever: format changes are versioned inside our header, where the error message can be specific.
    internal static VersionInfo GetVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: 0x00010001,
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(ZipPersistedTransformerLoader).Assembly.FullName);

    /// <summary>ML.NET's SignatureLoadModel entry point, found through the LoadableClass attribute above.</summary>
    public static ZipPersistedTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var where = $"Model entry '{ctx.Directory}'";
        var manifest = PayloadManifest.Read(ctx.Reader, where);
        var type = ResolveDeclaredType(manifest, where, out var declaration);
        if (manifest.PayloadVersion > declaration.PayloadVersion || manifest.PayloadVersion < declaration.OldestReadablePayloadVersion)
            throw new ModelPayloadException(
                $"{where}: {type.Name} payload version {manifest.PayloadVersion} " +
                (manifest.PayloadVersion > declaration.PayloadVersion ? "is newer than" : "is older than") +
                $" this build reads (versions {declaration.OldestReadablePayloadVersion} to {declaration.PayloadVersion}).");
        var payload = ZipPayloadReader.Read(ctx, manifest, where);
        var load = typeof(ZipPersistedTransformerLoader).GetMethod(nameof(LoadTyped), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(type);
        try
        {
            return (ZipPersistedTransformer)load.Invoke(null, [env, payload])!;
        }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    static ZipPersistedTransformer LoadTyped<T>(IHostEnvironment env, ZipPayloadReader payload)
        where T : ZipPersistedTransformer, IZipPersistedLoadable<T>
        => T.Load(env, payload);

    static Type ResolveDeclaredType(PayloadManifest manifest, string where, out ZipPersistedTransformerAttribute declaration)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(manifest.AssemblyName));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or ArgumentException)
        {
            throw new ModelPayloadException($"{where}: transformer {manifest.TypeName} lives in assembly '{manifest.AssemblyName}', which cannot be loaded; reference it from the application.", e);
        }
        declaration = assembly.GetCustomAttributes<ZipPersistedTransformerAttribute>()
            .FirstOrDefault(a => a.TransformerType.FullName == manifest.TypeName && a.TransformerType.Assembly == assembly)
            ?? throw new ModelPayloadException($"{where}: type '{manifest.TypeName}' is not declared with [assembly: ZipPersistedTransformer(...)] in assembly '{manifest.AssemblyName}'; refusing to instantiate it.");
        var type = declaration.TransformerType;
        if (!typeof(ZipPersistedTransformer).IsAssignableFrom(type) || type.IsAbstract
            || !typeof(IZipPersistedLoadable<>).MakeGenericType(type).IsAssignableFrom(type))
            throw new ModelPayloadException($"{where}: declared type '{type.FullName}' must be a concrete ZipPersistedTransformer implementing IZipPersistedLoadable<{type.Name}>.");
        return type;
    }
}
