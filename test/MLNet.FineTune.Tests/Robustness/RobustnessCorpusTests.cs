using System.Diagnostics;
using System.Reflection;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Runs every <see cref="CorpusCase"/> of every <see cref="ICorpusSource"/>. A refused input must fail with an
/// exception thrown by MLNet.FineTune itself (not from inside TorchSharp, System.Text.Json or ML.NET), of a type a
/// caller can act on, whose message names what the case requires; nothing may hang or allocate without bound.
/// </summary>
[TestClass]
[DoNotParallelize]
public class RobustnessCorpusTests
{
    static readonly Lazy<IReadOnlyDictionary<string, CorpusCase>> cases = new(Discover);

    static IReadOnlyDictionary<string, CorpusCase> Discover()
    {
        var all = typeof(RobustnessCorpusTests).Assembly.GetTypes()
            .Where(t => typeof(ICorpusSource).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false })
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .SelectMany(t => ((ICorpusSource)Activator.CreateInstance(t, nonPublic: true)!).Cases())
            .ToList();
        var duplicate = all.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new InvalidOperationException($"Two corpus cases are named '{duplicate.Key}'.");
        return all.ToDictionary(c => c.Id);
    }

    public static IEnumerable<object[]> CaseIds => cases.Value.Keys.Select(id => new object[] { id });

    public static string DisplayName(MethodInfo method, object[] data) => (string)data[0];

    /// <summary>Exceptions that always mean "crashed" rather than "refused clearly", whoever threw them.</summary>
    static readonly Type[] crashTypes =
    [
        typeof(NullReferenceException), typeof(IndexOutOfRangeException), typeof(InvalidCastException),
        typeof(KeyNotFoundException), typeof(OutOfMemoryException), typeof(OverflowException), typeof(DivideByZeroException),
        typeof(ObjectDisposedException), typeof(AccessViolationException), typeof(StackOverflowException),
        typeof(System.Runtime.InteropServices.ExternalException), typeof(NotImplementedException), typeof(AggregateException),
        typeof(TypeInitializationException), typeof(TargetInvocationException),
    ];

    [TestMethod]
    [DynamicData(nameof(CaseIds), DynamicDataDisplayName = nameof(DisplayName))]
    public void Case(string id)
    {
        var corpusCase = cases.Value[id];
        var folder = Path.Combine(Path.GetTempPath(), "mlnft-corpus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var (error, allocated) = RunBounded(corpusCase, folder);
            Assert.IsTrue(allocated <= corpusCase.MaxAllocatedBytes,
                $"{id}: allocated {allocated >> 20} MiB of managed memory (bound {corpusCase.MaxAllocatedBytes >> 20} MiB).");
            if (!corpusCase.Expect.Throws)
            {
                if (error != null) Assert.Fail($"{id}: an acceptable input was refused: {error}");
                return;
            }
            if (error == null) Assert.Fail($"{id}: the input was silently accepted; expected a clear error naming [{string.Join(", ", corpusCase.Expect.MustMention)}].");
            AssertClearError(id, error, corpusCase.Expect.MustMention);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    static (Exception? Error, long Allocated) RunBounded(CorpusCase corpusCase, string folder)
    {
        Exception? error = null;
        long allocated = 0;
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { corpusCase.Run(folder); }
            catch (Exception e) { error = e; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, maxStackSize: 16 << 20) { IsBackground = true, Name = "corpus " + corpusCase.Id };
        thread.Start();
        if (!thread.Join(corpusCase.Timeout))
            Assert.Fail($"{corpusCase.Id}: still running after {corpusCase.Timeout.TotalSeconds:0} s (a hang).");
        // Assertion failures inside an accepted case are the case's verdict, not a refusal.
        if (error is AssertFailedException or AssertInconclusiveException) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        return (error, allocated);
    }

    internal static void AssertClearError(string id, Exception error, IReadOnlyList<string> mustMention)
    {
        Assert.IsFalse(crashTypes.Any(t => t.IsInstanceOfType(error)), $"{id}: crashed with {error.GetType().Name}: {error}");
        var thrower = ThrowingType(error);
        Assert.IsTrue(thrower?.Namespace?.StartsWith("MLNet.FineTune", StringComparison.Ordinal) == true,
            $"{id}: {error.GetType().Name} thrown from {thrower?.FullName ?? "?"}, not by MLNet.FineTune's own checks: {error}");
        foreach (var word in mustMention)
            Assert.IsTrue(error.Message.Contains(word, StringComparison.OrdinalIgnoreCase),
                $"{id}: the message does not mention '{word}': {error.Message}");
    }

    /// <summary>
    /// The type whose method threw <paramref name="error"/>: the first frame of the exception's own stack trace,
    /// skipping the BCL's throw helpers (<c>ArgumentNullException.ThrowIfNull</c> and friends).
    /// </summary>
    static Type? ThrowingType(Exception error)
    {
        foreach (var frame in new StackTrace(error, fNeedFileInfo: false).GetFrames())
        {
            var type = frame.GetMethod()?.DeclaringType;
            if (type == null) continue;
            if (type.Namespace == "System" && (typeof(Exception).IsAssignableFrom(type) || type.Name.Contains("ThrowHelper", StringComparison.Ordinal)))
                continue;
            // Compiler-generated closures and state machines live in nested types of the declaring type.
            while (type.DeclaringType != null && type.Name.StartsWith('<')) type = type.DeclaringType;
            return type;
        }
        return null;
    }

    [TestMethod]
    public void ClearErrorCheckRejectsCrashesAndForeignThrowers()
    {
        static Exception Caught(Action a) { try { a(); } catch (Exception e) { return e; } throw new InvalidOperationException("did not throw"); }
        var deep = Caught(() => System.Text.Json.JsonSerializer.Deserialize<int>("\"x\""));
        Assert.ThrowsExactly<AssertFailedException>(() => AssertClearError("json", deep, []));
        var nullRef = Caught(() => _ = ((string)null!).Length);
        Assert.ThrowsExactly<AssertFailedException>(() => AssertClearError("npe", nullRef, []));
        var ours = Caught(() => MLNet.FineTune.Modeling.Checkpoints.SafetensorsReader.Open("/nonexistent/model.safetensors"));
        AssertClearError("ours", ours, ["model.safetensors"]);
        Assert.ThrowsExactly<AssertFailedException>(() => AssertClearError("ours", ours, ["some other word"]));
    }

    [TestMethod]
    public void CorpusHasAtLeast200CasesAcrossEveryCategory()
    {
        var byCategory = cases.Value.Values.GroupBy(c => c.Category).ToDictionary(g => g.Key, g => g.Count());
        Assert.IsTrue(cases.Value.Count >= 200, $"{cases.Value.Count} corpus cases: " + string.Join(", ", byCategory.Select(kv => $"{kv.Key} {kv.Value}")));
    }
}
