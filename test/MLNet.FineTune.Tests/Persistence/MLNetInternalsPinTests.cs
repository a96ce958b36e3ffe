using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tests.Persistence;

/// <summary>
/// Pins the ML.NET internals MLNet.FineTune's persistence compiles against (docs/design/persistence.md).
/// If an ML.NET upgrade renames or reshapes any of them these fail by name, before a user's model does.
/// </summary>
[TestClass]
public class MLNetInternalsPinTests
{
    const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
    static readonly Assembly Core = typeof(ICanSaveModel).Assembly;
    static readonly Assembly Data = typeof(MLContext).Assembly;

    static Type TypeIn(Assembly assembly, string name)
        => assembly.GetType(name) ?? throw new AssertFailedException($"ML.NET internal type {name} is gone from {assembly.GetName()}.");

    static void HasMethod(Type type, string name, params Type[] parameters)
        => Assert.IsNotNull(type.GetMethod(name, All, null, parameters, null),
            $"{type.FullName}.{name}({string.Join(", ", parameters.Select(p => p.Name))}) is gone.");

    static void HasField(Type type, string name, Type fieldType)
        => Assert.AreEqual(fieldType, type.GetField(name, All)?.FieldType, $"{type.FullName}.{name} field ({fieldType.Name}) is gone or changed type.");

    [TestMethod]
    public void MLNetVersionIsThePinnedOne()
        => Assert.AreEqual("5.0.1", Data.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0],
            "ML.NET changed: re-run the persistence pins and read docs/design/persistence.md before upgrading.");

    [TestMethod]
    public void ModelSaveContextMembersExist()
    {
        var t = typeof(ModelSaveContext);
        HasMethod(t, "CheckAtModel");
        HasMethod(t, "SetVersionInfo", TypeIn(Core, "Microsoft.ML.VersionInfo"));
        HasMethod(t, "SaveBinaryStream", typeof(string), typeof(Action<BinaryWriter>));
        HasField(t, "Writer", typeof(BinaryWriter));
    }

    [TestMethod]
    public void ModelLoadContextMembersExist()
    {
        var t = TypeIn(Core, "Microsoft.ML.ModelLoadContext");
        HasMethod(t, "CheckAtModel", TypeIn(Core, "Microsoft.ML.VersionInfo"));
        HasMethod(t, "TryLoadBinaryStream", typeof(string), typeof(Action<BinaryReader>));
        HasField(t, "Reader", typeof(BinaryReader));
        HasField(t, "Directory", typeof(string));
    }

    [TestMethod]
    public void VersionInfoConstructorKeepsItsParameterNames()
    {
        var ctor = TypeIn(Core, "Microsoft.ML.VersionInfo").GetConstructors(All).Single();
        CollectionAssert.AreEqual(
            new[] { "modelSignature", "verWrittenCur", "verReadableCur", "verWeCanReadBack", "loaderAssemblyName", "loaderSignature", "loaderSignatureAlt" },
            ctor.GetParameters().Select(p => p.Name).ToArray());
    }

    [TestMethod]
    public void InMemoryLoadingPlumbingExists()
    {
        // LoadInMemory opens ML.NET's repository without its temp-file copies of each entry.
        var reader = TypeIn(Core, "Microsoft.ML.RepositoryReader");
        var open = reader.GetMethods(All).Where(m => m.Name == "Open" && m.IsStatic).Select(m => string.Join(",", m.GetParameters().Select(p => p.Name))).ToArray();
        CollectionAssert.Contains(open, "stream,ectx,useFileSystem", "RepositoryReader.Open(Stream, IExceptionContext, bool useFileSystem) is gone.");
        var loader = TypeIn(Data, "Microsoft.ML.Data.IO.BinaryLoader");
        var constructors = loader.GetConstructors(All).Select(c => string.Join(",", c.GetParameters().Select(p => p.ParameterType.Name))).ToArray();
        Assert.IsTrue(constructors.Contains("IHostEnvironment,Arguments,Stream,Boolean"),
            "BinaryLoader(IHostEnvironment, Arguments, Stream, bool leaveOpen = true) is gone; have: " + string.Join(" | ", constructors));
    }

    [TestMethod]
    public void LibraryDeclaresLoaderAndAccessWaivers()
    {
        var library = typeof(ZipPersistedTransformer).Assembly;
        var loadable = library.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "Microsoft.ML.LoadableClassAttribute").ToList();
        Assert.IsTrue(loadable.Any(a => a.ConstructorArguments.Any(arg => arg.Value is System.Collections.ObjectModel.ReadOnlyCollection<CustomAttributeTypedArgument> names
                && names.Any(n => (string?)n.Value == ZipPersistedTransformerLoader.LoaderSignature))),
            "MLNet.FineTune must carry [assembly: LoadableClass(..., \"" + ZipPersistedTransformerLoader.LoaderSignature + "\")].");
        var waived = library.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == "System.Runtime.CompilerServices.IgnoresAccessChecksToAttribute")
            .Select(a => (string)a.ConstructorArguments[0].Value!).ToArray();
        CollectionAssert.AreEquivalent(new[] { "Microsoft.ML.Core", "Microsoft.ML.Data" }, waived);
    }

    [TestMethod]
    public void ComponentCatalogFindsOurLoaderBySignature()
    {
        var ml = new MLContext();
        var catalog = ml.ComponentCatalog;
        // What ModelLoadContext does with the loader assembly name stored in a model file.
        catalog.GetType().GetMethod("RegisterAssembly", All)!.Invoke(catalog, [typeof(ZipPersistedTransformer).Assembly, false]);
        var signature = TypeIn(Core, "Microsoft.ML.SignatureLoadModel");
        var find = catalog.GetType().GetMethods(All).Single(m => m.Name == "FindLoadableClasses" && m.IsGenericMethod && m.GetGenericArguments().Length == 1);
        var infos = (System.Collections.IEnumerable)find.MakeGenericMethod(signature).Invoke(catalog, null)!;
        var ours = infos.Cast<object>().SingleOrDefault(i =>
            ((IReadOnlyList<string>)i.GetType().GetProperty("LoadNames", All)!.GetValue(i)!).Contains(ZipPersistedTransformerLoader.LoaderSignature));
        Assert.IsNotNull(ours, "ComponentCatalog did not find loader " + ZipPersistedTransformerLoader.LoaderSignature);
        Assert.AreEqual(typeof(ZipPersistedTransformerLoader), ours.GetType().GetProperty("LoaderType", All)!.GetValue(ours));
        Assert.AreEqual(typeof(ZipPersistedTransformer), ours.GetType().GetProperty("Type", All)!.GetValue(ours));
    }
}
