using System.Runtime.InteropServices;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// Opens files the user pointed us at (checkpoint weights, configs, tokenizer files, adapters) only when they are
/// regular files, after following symlinks. A FIFO blocks the reader until someone writes to it and a character device
/// such as <c>/dev/zero</c> never ends, so hashing or parsing either would hang forever; both are refused before they
/// are opened. A symlink to a regular file is fine (Hugging Face's cache is made of them).
/// </summary>
internal static class UserFile
{
    /// <summary>Throws unless <paramref name="path"/> is an existing regular file (symlinks followed); <paramref name="what"/> says what it is for.</summary>
    // Never inlined into a caller's delegate (LINQ, ML.NET): the error's first stack frame stays ours.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static void CheckRegular(string path, string what)
    {
        if (Directory.Exists(path)) throw new IOException($"{path} ({what}) is a directory, not a file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} ({what}) not found.", path);
        if (Kind(path) is { } kind)
            throw new IOException($"{path} ({what}) is {kind}, not a regular file; refusing to read it (reading would block or never end).");
    }

    /// <summary>A read stream over a regular file (see <see cref="CheckRegular"/>).</summary>
    public static FileStream OpenRead(string path, string what)
    {
        CheckRegular(path, what);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
    }

    public static byte[] ReadAllBytes(string path, string what)
    {
        CheckRegular(path, what);
        return File.ReadAllBytes(path);
    }

    public static string ReadAllText(string path, string what)
    {
        CheckRegular(path, what);
        return File.ReadAllText(path);
    }

    /// <summary>
    /// What a non-regular file is ("a FIFO (named pipe)", "a character device"…), null for a regular file or where the
    /// platform cannot tell (Windows has no FIFOs or device nodes in the file system).
    /// </summary>
    static string? Kind(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        int mode;
        try
        {
            // .NET's own portable stat (libSystem.Native ships with every .NET runtime on Unix): it follows symlinks, and
            // its FileStatus starts with int32 Flags, int32 Mode on every platform, Mode using the portable S_IF* values.
            var status = new byte[256];
            if (SystemNativeStat(path, status) != 0) return "a broken symlink or an unreadable path (stat failed)";
            mode = BitConverter.ToInt32(status, 4) & 0xF000;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
            return target.StartsWith("/dev/", StringComparison.Ordinal) || target.StartsWith("/proc/", StringComparison.Ordinal) ? "a device or process file" : null;
        }
        return mode switch
        {
            0x8000 => null,
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            0x4000 => "a directory",
            _ => $"a special file (mode 0x{mode:X})",
        };
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat")]
    static extern int SystemNativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] status);
}
