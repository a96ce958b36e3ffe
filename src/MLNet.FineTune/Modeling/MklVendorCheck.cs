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
    /// <summary>An AMD CPU, left as shipped: it has AVX-512 (there the bypass is opt-in, MLNET_FINETUNE_MKL_VENDOR_CHECK=bypass),
    /// or the user asked to keep MKL as shipped (MLNET_FINETUNE_MKL_VENDOR_CHECK=keep).</summary>
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
/// When it is on: by default on AMD CPUs with AVX2 and without AVX-512 (Zen 2, Zen 3), where MKL then runs its AVX2
/// kernels: on a Zen 3 host the step's products ran 9–13% faster and a LoRA step 5–26% (docs/benchmarks.md, issue #17),
/// and a run resumed from a checkpoint stayed bit-exact in 71 of 71 sequential and 18 concurrent tries of the CLI's
/// resume test. Opt-in (MLNET_FINETUNE_MKL_VENDOR_CHECK=bypass) on AMD CPUs with AVX-512, where it selects MKL's AVX-512
/// kernels: on a Zen 5 host a resumed run ended a few last bits away from the uninterrupted one in 2 of 8 tries (0 of 6
/// without the bypass; MKL_CBWR=AUTO and AUTO,STRICT did not help, so the cause is not proven), and bit-exact resume is a
/// promise of this library. MLNET_FINETUNE_MKL_VENDOR_CHECK=keep leaves MKL as shipped on any CPU.
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
    public static bool Requested => VariableIs("bypass");

    /// <summary>Whether this process asked to leave MKL as shipped (MLNET_FINETUNE_MKL_VENDOR_CHECK=keep, any case).</summary>
    public static bool Refused => VariableIs("keep");

    static bool VariableIs(string value) =>
        string.Equals(Environment.GetEnvironmentVariable(Variable), value, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether the bypass is on without being asked: an AMD CPU whose CPUID reports AVX2 and not AVX-512F, the CPUs on
    /// which resume was measured bit-exact with MKL's Intel kernels (see the summary).
    /// </summary>
    public static bool OnByDefault(string? vendor, bool avx2, bool avx512F) => vendor == "AuthenticAMD" && avx2 && !avx512F;

    /// <summary>Whether this process's setting and CPU call for the bypass: <c>keep</c> wins, then <c>bypass</c>, then <see cref="OnByDefault"/>.</summary>
    public static bool Wanted(string? vendor)
    {
        if (Refused) return false;
        if (Requested) return true;
        var (avx2, avx512F) = CpuFeatures();
        return OnByDefault(vendor, avx2, avx512F);
    }

    /// <summary>AVX2 and AVX-512F as CPUID leaf 7 reports them (what MKL's dispatcher reads), or (false, false) off x86.</summary>
    public static (bool Avx2, bool Avx512F) CpuFeatures()
    {
        if (!X86Base.IsSupported || X86Base.CpuId(0, 0).Eax < 7) return (false, false);
        int ebx = X86Base.CpuId(7, 0).Ebx;
        return ((ebx & (1 << 5)) != 0, (ebx & (1 << 16)) != 0);
    }

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
        if (!Wanted(vendor)) return (MklVendorCheckState.Disabled, WhyLeftAsShipped());
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", typeof(MklVendorCheck).Assembly, null, out var torchCpu)
            || !NativeLibrary.TryGetExport(torchCpu, Symbol, out var function))
            return (MklVendorCheckState.Unavailable, $"libtorch_cpu.so with MKL's {Symbol} not found (a build without MKL?)");
        if (function % 8 != 0)
            return (MklVendorCheckState.Unavailable, $"{Symbol} is not 8-byte aligned; left as shipped");
        var (state, detail) = Patch(function);
        return state == MklVendorCheckState.Bypassed && !Requested
            ? (state, $"{detail} (the default on an AMD CPU with AVX2 and no AVX-512; {Variable}=keep leaves MKL as shipped)")
            : (state, detail);
    }

    /// <summary>The <see cref="Detail"/> of an AMD CPU that <see cref="Wanted"/> leaves as shipped.</summary>
    static string WhyLeftAsShipped() =>
        Refused ? $"MKL runs its non-Intel path on this AMD CPU, as {Variable}=keep asks"
        : CpuFeatures().Avx512F ? $"MKL runs its non-Intel path on this AMD CPU with AVX-512; {Variable}=bypass runs its AVX-512 kernels (faster, but resume was not bit-exact with them on a Zen 5)"
        : $"MKL runs its non-Intel path on this AMD CPU without AVX2; {Variable}=bypass runs its Intel kernels";

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
