namespace MLNet.FineTune.Data;

/// <summary>
/// Splits a byte stream into lines on '\n' without ever holding more than <c>maxBytes</c> of one line: a longer line
/// is reported (bytes null, its full length) and skipped as it streams past. Works on pipes (stdin) as on files.
/// </summary>
internal sealed class CappedLineReader(Stream stream, int maxBytes)
{
    /// <summary>One line: its 1-based number, its bytes without the '\n' (null when over the cap) and its length in bytes.</summary>
    public readonly record struct Line(int Number, byte[]? Bytes, long Length);

    public IEnumerable<Line> Lines()
    {
        var buffer = new byte[1 << 16];
        var current = new MemoryStream();
        bool tooLong = false, any = false;
        long length = 0;
        int number = 0;
        while (true)
        {
            int read = stream.Read(buffer, 0, buffer.Length);
            if (read == 0) break;
            int start = 0;
            while (start < read)
            {
                int newline = Array.IndexOf(buffer, (byte)'\n', start, read - start);
                int stop = newline < 0 ? read : newline;
                Append(buffer, start, stop - start);
                any = true;
                if (newline < 0) break;
                yield return Take();
                start = newline + 1;
            }
        }
        if (any) yield return Take();

        void Append(byte[] bytes, int offset, int count)
        {
            length += count;
            if (tooLong) return;
            if (current.Length + count > maxBytes) { tooLong = true; current.SetLength(0); return; }
            current.Write(bytes, offset, count);
        }

        Line Take()
        {
            var line = new Line(++number, tooLong ? null : current.ToArray(), length);
            current.SetLength(0);
            tooLong = false; any = false; length = 0;
            return line;
        }
    }
}
