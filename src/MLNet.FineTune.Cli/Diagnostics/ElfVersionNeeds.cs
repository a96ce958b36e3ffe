using System.Buffers.Binary;
using System.Text;

namespace MLNet.FineTune.Cli.Diagnostics;

/// <summary>
/// The symbol versions a 64-bit little-endian ELF shared library needs (its <c>.gnu.version_r</c> entries, what
/// <c>readelf -V</c> lists under "Version needs"). Only this table decides what the loader demands: the GLIBCXX patch
/// renames one entry, and the old name may still sit elsewhere in the file.
/// </summary>
internal static class ElfVersionNeeds
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    static readonly byte[] ElfMagic = [0x7F, (byte)'E', (byte)'L', (byte)'F'];

    /// <summary>The needed version names (e.g. GLIBCXX_3.4.30), or null when the file is not an ELF64 LE library we can read.</summary>
    public static HashSet<string>? Read(string path)
    {
        try { return Parse(File.ReadAllBytes(path)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or OverflowException) { return null; }
    }

    static HashSet<string>? Parse(byte[] elf)
    {
        var data = elf.AsSpan();
        if (data.Length < 64 || !data[..4].SequenceEqual(ElfMagic) || data[4] != 2 || data[5] != 1) return null;
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(data[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(data[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(data[0x3C..]);
        for (int i = 0; i < shnum; i++)
        {
            var header = Section(elf, shoff, shentsize, i);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != ShtGnuVerneed) continue;
            int offset = checked((int)BinaryPrimitives.ReadInt64LittleEndian(header[24..]));
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[44..]);
            var strings = Section(elf, shoff, shentsize, (int)BinaryPrimitives.ReadUInt32LittleEndian(header[40..]));
            int strOffset = checked((int)BinaryPrimitives.ReadInt64LittleEndian(strings[24..]));
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int n = 0, entry = offset; n < count; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(data[(entry + 2)..]);
                int aux = entry + (int)BinaryPrimitives.ReadUInt32LittleEndian(data[(entry + 8)..]);
                for (int a = 0; a < auxCount; a++)
                {
                    int name = strOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(data[(aux + 8)..]);
                    int end = data[name..].IndexOf((byte)0);
                    names.Add(Encoding.ASCII.GetString(data.Slice(name, end)));
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(data[(aux + 12)..]);
                }
                int next = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[(entry + 12)..]);
                if (next == 0) break;
                entry += next;
            }
            return names;
        }
        return [];
    }

    static ReadOnlySpan<byte> Section(byte[] elf, long shoff, int shentsize, int index) =>
        elf.AsSpan(checked((int)(shoff + (long)index * shentsize)), 64);
}
