using System.Runtime.CompilerServices;

// ML.NET 5 keeps its model-persistence API internal. We compile against publicized copies of these two assemblies
// (build/MLNet.FineTune.Publicize.targets) and ask the runtime to waive access checks into the real ones.
// CoreCLR honours this attribute though the BCL does not declare it. Pinned by Persistence/MLNetInternalsPinTests.
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices
{
    /// <summary>Tells the runtime that this assembly may access non-public members of the named assembly.</summary>
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute : Attribute
    {
        public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

        /// <summary>Simple name of the assembly whose access checks are waived.</summary>
        public string AssemblyName { get; }
    }
}
