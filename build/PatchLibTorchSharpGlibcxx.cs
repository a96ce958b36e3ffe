// MSBuild inline task (RoslynCodeTaskFactory): makes TorchSharp's native bridge load on glibc systems whose
// libstdc++ predates GCC 13 (Debian 12 ships GLIBCXX_3.4.30).
//
// Why this is safe: libLibTorchSharp.so 0.107 asks for GLIBCXX_3.4.32 for exactly one symbol,
// _ZSt21ios_base_library_initv, which no relocation references (GCC 13 emits it only to force iostream
// initialisation). We (1) mark that symbol's .gnu.version entry as 1 (global, unversioned) and (2) rename the
// verneed entry GLIBCXX_3.4.32 -> GLIBCXX_3.4.30 (same length, vna_hash recomputed), so the loader no longer
// demands a version the system lacks. Only the copy in a build/publish output folder is edited, never the NuGet
// cache; the edit is written to a temporary file and renamed over the copy (breaking any hard link).
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class PatchLibTorchSharpGlibcxx : Task
{
    /// <summary>Folders to search (recursively) for libLibTorchSharp.so.</summary>
    [Required] public string[] Folders { get; set; } = Array.Empty<string>();

    const string Symbol = "_ZSt21ios_base_library_initv";
    const string Wanted = "GLIBCXX_3.4.32";
    const string Replacement = "GLIBCXX_3.4.30";

    public override bool Execute()
    {
        if (!System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux)) return true;
        if (SystemLibStdcxxHas(Wanted))
        {
            Log.LogMessage(MessageImportance.Low, "libstdc++ provides " + Wanted + "; TorchSharp needs no patch.");
            return true;
        }
        foreach (var folder in Folders)
        {
            if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder)) continue;
            foreach (var file in Directory.EnumerateFiles(folder, "libLibTorchSharp.so", SearchOption.AllDirectories))
            {
                try
                {
                    var bytes = File.ReadAllBytes(file);
                    if (!Patch(bytes)) continue; // already patched or nothing to do: idempotent
                    var tmp = file + ".patching";
                    File.WriteAllBytes(tmp, bytes);
                    File.Delete(file);
                    File.Move(tmp, file);
                    Log.LogMessage(MessageImportance.High, "MLNet.FineTune: patched " + file + " (" + Wanted + " -> " + Replacement + ", see docs/design/encoders.md)");
                }
                catch (Exception e)
                {
                    Log.LogWarning("MLNet.FineTune: could not patch " + file + ": " + e.Message + ". TorchSharp may fail to load on this system (libstdc++ lacks " + Wanted + ").");
                }
            }
        }
        return true;
    }

    static bool SystemLibStdcxxHas(string version)
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6",
            "/usr/lib/libstdc++.so.6",
        };
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (var path in candidates)
        {
            if (!File.Exists(path)) continue;
            var data = File.ReadAllBytes(path);
            return IndexOf(data, needle) >= 0;
        }
        return false; // unknown system: patching is harmless where the symbol is unused
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    /// <summary>Edits an ELF64 little-endian image in place. Returns false when there was nothing to change.</summary>
    public static bool Patch(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("not a 64-bit little-endian ELF file");
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);

        int dynsym = -1, versym = -1, verneed = -1;
        for (int i = 0; i < shnum; i++)
        {
            uint type = BitConverter.ToUInt32(elf, (int)(shoff + i * shentsize + 4));
            if (type == 11) dynsym = i; else if (type == 0x6fffffff) versym = i; else if (type == 0x6ffffffe) verneed = i;
        }
        if (dynsym < 0 || versym < 0 || verneed < 0) return false;

        long Off(int s) => BitConverter.ToInt64(elf, (int)(shoff + s * shentsize + 0x18));
        long Size(int s) => BitConverter.ToInt64(elf, (int)(shoff + s * shentsize + 0x20));
        int Link(int s) => BitConverter.ToInt32(elf, (int)(shoff + s * shentsize + 0x28));
        string Str(long strOff, uint index)
        {
            int start = (int)(strOff + index), end = start;
            while (elf[end] != 0) end++;
            return Encoding.ASCII.GetString(elf, start, end - start);
        }

        bool changed = false;
        long dynstr = Off(Link(dynsym));
        long count = Size(dynsym) / 24;
        for (int i = 0; i < count; i++)
        {
            uint name = BitConverter.ToUInt32(elf, (int)(Off(dynsym) + i * 24));
            if (Str(dynstr, name) != Symbol) continue;
            int at = (int)(Off(versym) + i * 2);
            if (BitConverter.ToUInt16(elf, at) != 1) { elf[at] = 1; elf[at + 1] = 0; changed = true; }
        }

        long vstr = Off(Link(verneed));
        long vn = Off(verneed);
        while (true)
        {
            int cnt = BitConverter.ToUInt16(elf, (int)vn + 2);
            long aux = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
            for (int a = 0; a < cnt; a++)
            {
                uint nameIdx = BitConverter.ToUInt32(elf, (int)aux + 8);
                if (Str(vstr, nameIdx) == Wanted)
                {
                    Encoding.ASCII.GetBytes(Replacement).CopyTo(elf, (int)(vstr + nameIdx));
                    BitConverter.GetBytes(ElfHash(Replacement)).CopyTo(elf, (int)aux);
                    changed = true;
                }
                aux += BitConverter.ToUInt32(elf, (int)aux + 12);
            }
            uint next = BitConverter.ToUInt32(elf, (int)vn + 12);
            if (next == 0) break;
            vn += next;
        }
        return changed;
    }

    static uint ElfHash(string s)
    {
        uint h = 0;
        foreach (char c in s)
        {
            h = (h << 4) + c;
            uint g = h & 0xf0000000;
            if (g != 0) h ^= g >> 24;
            h &= ~g;
        }
        return h;
    }
}
