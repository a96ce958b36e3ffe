using MLNet.FineTune.Modeling;

namespace MLNet.FineTune.Tests.Modeling;

/// <summary>
/// TorchSharp reports every native load failure as a missing libtorch package; the message must instead follow what
/// the dynamic loader said about the app's libLibTorchSharp.so.
/// </summary>
[TestClass]
public class TorchLoadDiagnosisTests
{
    const string Library = "/app/bin/runtimes/linux-x64/native/libLibTorchSharp.so";
    // TorchSharp's own text, whatever the cause.
    const string TorchSharpError = "The type initializer for 'TorchSharp.torch' threw an exception. | This application or script uses TorchSharp " +
        "but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.0.";
    // What .NET 10's NativeLibrary.Load reported from dlopen on Debian 12 for an unpatched copy (verbatim, path aside).
    const string GlibcxxError = "Unable to load shared library '" + Library + "' or one of its dependencies. In order to help diagnose " +
        "loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \n" +
        "/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by " + Library + ")";

    [TestMethod]
    public void GlibcxxLoaderErrorNamesTheVersionTheFileAndThePatchNotAPackage()
    {
        var message = TorchLoadDiagnosis.Message(TorchSharpError, Library, GlibcxxError);
        StringAssert.StartsWith(message, $"TorchSharp could not load: {Library} needs GLIBCXX_3.4.32, which this system's libstdc++ lacks");
        StringAssert.Contains(message, "MLNetFineTunePatchGlibcxx");
        StringAssert.Contains(message, "ProjectReference");
        StringAssert.Contains(message, GlibcxxError);
        Assert.IsFalse(message.Contains("Reference the 'libtorch-cpu-linux-x64' package"), message);
    }

    [TestMethod]
    public void MissingLibraryBlamesTheMissingPackage()
    {
        var message = TorchLoadDiagnosis.Message(TorchSharpError, libraryPath: null, loaderError: null);
        StringAssert.StartsWith(message, "TorchSharp could not load its native libraries: no libLibTorchSharp.so was found beside the app.");
        StringAssert.Contains(message, "Reference the 'libtorch-cpu-linux-x64' package");
    }

    [TestMethod]
    public void MissingDependencyOfAPresentLibraryNamesTheDependency()
    {
        const string error = "Unable to load shared library '" + Library + "' or one of its dependencies. libtorch_cpu.so: cannot open shared object file: No such file or directory";
        var message = TorchLoadDiagnosis.Message(TorchSharpError, Library, error);
        StringAssert.StartsWith(message, $"TorchSharp could not load: {Library} is present but its dependency libtorch_cpu.so was not found.");
        StringAssert.Contains(message, "libtorch-cpu-linux-x64");
    }

    [TestMethod]
    public void OtherLoaderErrorIsQuotedWithTheFile()
    {
        const string error = "Unable to load shared library '" + Library + "'. " + Library + ": invalid ELF header";
        var message = TorchLoadDiagnosis.Message(TorchSharpError, Library, error);
        StringAssert.StartsWith(message, $"TorchSharp could not load: {Library} is present but the loader refused it: {error}");
    }

    [TestMethod]
    public void GlibcxxInTorchSharpsOwnErrorIsStillRecognised()
    {
        var message = TorchLoadDiagnosis.Message("libstdc++.so.6: version `GLIBCXX_3.4.32' not found", libraryPath: null, loaderError: null);
        StringAssert.Contains(message, "needs GLIBCXX_3.4.32, which this system's libstdc++ lacks");
    }
}
