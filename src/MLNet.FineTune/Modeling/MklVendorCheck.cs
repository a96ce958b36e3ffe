using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace MLNet.FineTune.Modeling;

/// <summary>What <see cref="MklVendorCheck.Apply"/> did in this process.</summary>
internal enum MklVendorCheckState
{
    /// <summary>Not tried yet (libtorch not loaded through <see cref="TorchRuntime"/>).</summary>
    NotTried,
    /// <summary>Not an AMD x86-64 Linux process: MKL already picks its kernels by the CPU's features.</summary>
    NotNeeded,
    /// <summary>An AMD CPU, left as shipped: the bypass is opt-in (MLNET_FINETUNE_MKL_VENDOR_CHECK=bypass).</summary>
    Disabled,
    /// <summary>This libtorch has no MKL (or not the expected entry point), or the code page could not be made writable.</summary>
    Unavailable,
    /// <summary>MKL now takes the CPU's own feature flags (AVX2 / AVX-512) at face value on this AMD processor.</summary>
    Bypassed,
}

/// <summary>
/// Lets libtorch's Intel MKL run its AVX-512 / AVX2 matrix kernels on AMD processors. MKL asks one internal function,
/// <c>mkl_serv_intel_cpu_true</c>, whether the CPU is Intel's, and on any other vendor runs a slower path whatever the
/// CPU supports. On a Zen 5 host (AVX-512) that path reaches 146 GFLOP/s at a MiniLM training step's matrix shapes;
/// with the check answered "yes" the same products run at 328 GFLOP/s, and a full fine-tuning step takes ~0.6× the time
/// (docs/benchmarks.md, issue #17). Which kernel runs is still decided by the CPU's real feature flags, so nothing runs
/// that the processor cannot execute.
/// <para>
/// This is the in-process form of the widely used LD_PRELOAD shim that defines that function to return 1: the
/// function's first 8 bytes become <c>mov eax, 1; ret</c> (one aligned 8-byte store, so a thread calling it sees the
/// old or the new code, never half of each). It runs once, when <see cref="TorchRuntime"/> first loads libtorch, before
/// MKL's first matrix product.
/// </para>
/// <para>
/// Opt-in (MLNET_FINETUNE_MKL_VENDOR_CHECK=bypass): on a Zen 5 host, where it selects MKL's AVX-512 kernels, a run resumed
/// from a checkpoint in a new process ended a few last bits away from the uninterrupted run in 2 of 8 tries of the CLI's
/// resume test (0 of 6 without the bypass; MKL_CBWR=AUTO and AUTO,STRICT did not help, so the cause is not proven). On a
/// Zen 3 (AVX2 kernels) resume stayed exact in 71 of 71 tries, but the bypass gained little there. Bit-exact resume is a
/// promise of this library, so the faster kernels are the user's choice.
/// </para>
/// </summary>
internal static class MklVendorCheck
{
    public const string Variable = "MLNET_FINETUNE_MKL_VENDOR_CHECK";
    const string Symbol = "mkl_serv_intel_cpu_true";

    // mov eax, 1 ; ret ; then two int3 (never reached) to fill the 8-byte store.
    static readonly byte[] ReturnOne = [0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3, 0xCC, 0xCC];

    const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;

    [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    static extern int MProtect(nint address, nuint length, int protection);

    /// <summary>Whether this process asked for the bypass (MLNET_FINETUNE_MKL_VENDOR_CHECK=bypass, any case).</summary>
    public static bool Requested =>
        string.Equals(Environment.GetEnvironmentVariable(Variable), "bypass", StringComparison.OrdinalIgnoreCase);

    /// <summary>What was done in this process.</summary>
    public static MklVendorCheckState State { get; private set; } = MklVendorCheckState.NotTried;

    /// <summary>Why the state is what it is, in words for <c>env</c> and logs.</summary>
    public static string Detail { get; private set; } = "libtorch not loaded yet";

    /// <summary>The CPU vendor string from CPUID leaf 0 ("AuthenticAMD", "GenuineIntel"), or null off x86.</summary>
    public static string? CpuVendor()
    {
        if (!X86Base.IsSupported) return null;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> name = stackalloc byte[12];
        BitConverter.TryWriteBytes(name, ebx);
        BitConverter.TryWriteBytes(name[4..], edx);
        BitConverter.TryWriteBytes(name[8..], ecx);
        return Encoding.ASCII.GetString(name);
    }

    /// <summary>Applies the bypass once libtorch is loaded; never throws (a failure leaves MKL as shipped and says why).</summary>
    public static void Apply()
    {
        if (State != MklVendorCheckState.NotTried) return;
        (State, Detail) = Decide();
    }

    static (MklVendorCheckState, string) Decide()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return (MklVendorCheckState.NotNeeded, "not x86-64 Linux");
        var vendor = CpuVendor();
        if (vendor != "AuthenticAMD")
            return (MklVendorCheckState.NotNeeded, $"CPU vendor {vendor}: MKL picks its kernels by the CPU's features already");
        if (!Requested)
            return (MklVendorCheckState.Disabled, $"MKL runs its non-Intel path on this AMD CPU; {Variable}=bypass runs its AVX2/AVX-512 kernels (faster, but resume is then not bit-exact)");
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", typeof(MklVendorCheck).Assembly, null, out var torchCpu)
            || !NativeLibrary.TryGetExport(torchCpu, Symbol, out var function))
            return (MklVendorCheckState.Unavailable, $"libtorch_cpu.so with MKL's {Symbol} not found (a build without MKL?)");
        if (function % 8 != 0)
            return (MklVendorCheckState.Unavailable, $"{Symbol} is not 8-byte aligned; left as shipped");
        return Patch(function);
    }

    static unsafe (MklVendorCheckState, string) Patch(nint function)
    {
        long code = BitConverter.ToInt64(ReturnOne);
        if (*(long*)function == code) return (MklVendorCheckState.Bypassed, "already bypassed");
        nint page = function & ~(nint)(Environment.SystemPageSize - 1);
        var length = (nuint)(function + ReturnOne.Length - page);
        if (MProtect(page, length, ProtRead | ProtWrite | ProtExec) != 0)
            return (MklVendorCheckState.Unavailable, $"mprotect refused a writable code page (errno {Marshal.GetLastPInvokeError()}); left as shipped");
        Interlocked.Exchange(ref *(long*)function, code);
        MProtect(page, length, ProtRead | ProtExec);
        var answer = ((delegate* unmanaged<int>)function)();
        return answer == 1
            ? (MklVendorCheckState.Bypassed, "AMD CPU: MKL's Intel-only check answered yes, so its AVX2/AVX-512 kernels run")
            : (MklVendorCheckState.Unavailable, $"{Symbol} returned {answer} after patching");
    }
}
