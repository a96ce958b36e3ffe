namespace MLNet.FineTune.Persistence;

/// <summary>
/// Declares a <see cref="ZipPersistedTransformer"/> subclass loadable from model files, and its payload layout
/// versions: <c>[assembly: ZipPersistedTransformer(typeof(MyTransformer), PayloadVersion = 2)]</c>.
/// The loader only instantiates types declared this way in the assembly the model names (an allow-list, like
/// ML.NET's own LoadableClass), so a model file cannot make it construct an arbitrary type.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class ZipPersistedTransformerAttribute : Attribute
{
    /// <summary>Declares <paramref name="transformerType"/> loadable.</summary>
    public ZipPersistedTransformerAttribute(Type transformerType) => TransformerType = transformerType;

    /// <summary>The transformer type; must derive from <see cref="ZipPersistedTransformer"/> and implement <see cref="IZipPersistedLoadable{TSelf}"/>.</summary>
    public Type TransformerType { get; }

    /// <summary>Layout version written into new models. Bump it when the entries or their formats change.</summary>
    public int PayloadVersion { get; set; } = 1;

    /// <summary>Oldest layout version this build can still load (older models are refused with a clear message).</summary>
    public int OldestReadablePayloadVersion { get; set; } = 1;

    /// <summary>Finds the declaration of <paramref name="type"/> in its own assembly, or null.</summary>
    internal static ZipPersistedTransformerAttribute? Find(Type type)
        => type.Assembly.GetCustomAttributes(typeof(ZipPersistedTransformerAttribute), false)
               .Cast<ZipPersistedTransformerAttribute>()
               .FirstOrDefault(a => a.TransformerType == type);
}
