// MSBuild inline task (RoslynCodeTaskFactory), compile-time only: writes copies of ML.NET assemblies whose
// internal/private types and members are made public, so the C# compiler lets MLNet.FineTune use ML.NET's
// model-persistence API (ModelSaveContext, ModelLoadContext, LoadableClassAttribute, RowToRowTransformerBase...).
// At run time the real, signed ML.NET assemblies are loaded; the access checks are waived by
// [assembly: IgnoresAccessChecksTo(...)] in src/MLNet.FineTune/Persistence/. See docs/design/persistence.md.
//
// What changes: types in Microsoft.ML* namespaces (and their nested types) become public; their private,
// internal and private-protected methods/fields become public. protected and protected-internal members stay as
// they are (a subclass can already reach them, and widening them would force `public override` in our code).
// Untouched on purpose: types outside Microsoft.ML* (polyfills such as System.Index would clash with the BCL) and
// fields named like an event of the same type (event backing fields would make the event name ambiguous).
using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class PublicizeMLNetInternals : Task
{
    /// <summary>Assemblies to publicize (full paths).</summary>
    [Required] public ITaskItem[] Assemblies { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Folder receiving the publicized copies (same file names).</summary>
    [Required] public string OutputDirectory { get; set; } = "";

    /// <summary>Full path of Mono.Cecil.dll from the restored package.</summary>
    [Required] public string CecilPath { get; set; } = "";

    /// <summary>Folders of all resolved references: Cecil resolves constant and attribute types from them on write.</summary>
    public string[] SearchDirectories { get; set; } = Array.Empty<string>();

    public override bool Execute()
    {
        // The task assembly is compiled in memory, so the CLR cannot find Mono.Cecil next to it: resolve it from
        // the package folder. Cecil types are only touched in Publicize(), after the handler is in place.
        ResolveEventHandler resolve = (sender, args) =>
            new AssemblyName(args.Name).Name == "Mono.Cecil" ? Assembly.LoadFrom(CecilPath) : null;
        AppDomain.CurrentDomain.AssemblyResolve += resolve;
        try
        {
            Directory.CreateDirectory(OutputDirectory);
            foreach (var item in Assemblies)
            {
                var input = item.GetMetadata("FullPath");
                var output = Path.Combine(OutputDirectory, Path.GetFileName(input));
                var count = Publicize(input, output, SearchDirectories);
                Log.LogMessage(MessageImportance.Normal, $"Publicized {count} members/types of {input} -> {output}");
            }
            return !Log.HasLoggedErrors;
        }
        finally
        {
            AppDomain.CurrentDomain.AssemblyResolve -= resolve;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static int Publicize(string input, string output, string[] searchDirectories)
    {
        int changed = 0;
        var temp = output + ".tmp";
        using var resolver = new Mono.Cecil.DefaultAssemblyResolver();
        foreach (var dir in searchDirectories.Distinct()) resolver.AddSearchDirectory(dir);
        var parameters = new Mono.Cecil.ReaderParameters { ReadSymbols = false, AssemblyResolver = resolver };
        using (var module = Mono.Cecil.ModuleDefinition.ReadModule(input, parameters))
        {
            foreach (var type in module.Types.Where(t => t.Namespace.StartsWith("Microsoft.ML", StringComparison.Ordinal)))
                changed += PublicizeType(type);
            // Written to a temporary file and renamed, so an interrupted build never leaves a half-written reference.
            module.Write(temp);
        }
        if (File.Exists(output)) File.Delete(output);
        File.Move(temp, output);
        return changed;
    }

    static int PublicizeType(Mono.Cecil.TypeDefinition type)
    {
        int changed = 0;
        var vis = type.Attributes & Mono.Cecil.TypeAttributes.VisibilityMask;
        var wanted = type.IsNested ? Mono.Cecil.TypeAttributes.NestedPublic : Mono.Cecil.TypeAttributes.Public;
        if (vis != wanted)
        {
            type.Attributes = (type.Attributes & ~Mono.Cecil.TypeAttributes.VisibilityMask) | wanted;
            changed++;
        }
        var eventNames = new System.Collections.Generic.HashSet<string>(type.Events.Select(e => e.Name));
        foreach (var method in type.Methods)
        {
            var access = method.Attributes & Mono.Cecil.MethodAttributes.MemberAccessMask;
            if (access is Mono.Cecil.MethodAttributes.Private or Mono.Cecil.MethodAttributes.Assembly or Mono.Cecil.MethodAttributes.FamANDAssem)
            {
                method.Attributes = (method.Attributes & ~Mono.Cecil.MethodAttributes.MemberAccessMask) | Mono.Cecil.MethodAttributes.Public;
                changed++;
            }
        }
        foreach (var field in type.Fields)
        {
            if (eventNames.Contains(field.Name)) continue;
            var access = field.Attributes & Mono.Cecil.FieldAttributes.FieldAccessMask;
            if (access is Mono.Cecil.FieldAttributes.Private or Mono.Cecil.FieldAttributes.Assembly or Mono.Cecil.FieldAttributes.FamANDAssem)
            {
                field.Attributes = (field.Attributes & ~Mono.Cecil.FieldAttributes.FieldAccessMask) | Mono.Cecil.FieldAttributes.Public;
                changed++;
            }
        }
        foreach (var nested in type.NestedTypes)
            changed += PublicizeType(nested);
        return changed;
    }
}
