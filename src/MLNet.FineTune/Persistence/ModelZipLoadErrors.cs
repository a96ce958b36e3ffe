namespace MLNet.FineTune.Persistence;

/// <summary>
/// Turns what goes wrong while loading a model zip into a message that names the file and says what was expected.
/// ML.NET's own messages for a damaged or foreign file ("End of Central Directory record could not be found",
/// "Repository doesn't contain entry DataLoaderModel/Model.key") say neither. Used by <c>LoadChecked</c> and
/// <c>LoadInMemory</c>; ML.NET's <c>mlContext.Model.Load</c> itself cannot be changed.
/// </summary>
internal static class ModelZipLoadErrors
{
    internal const string Expected = "expected an ML.NET model zip written by mlContext.Model.SaveAtomic or mlContext.Model.Save";

    /// <summary>
    /// Refuses, before ML.NET sees it, a path that is missing, a folder, empty (also what a FIFO or device reports), or does not start
    /// like a zip file (local file header "PK\x03\x04", or "PK\x05\x06" for an empty zip).
    /// </summary>
    public static void CheckFile(string path)
    {
        if (Directory.Exists(path)) throw new ModelPayloadException($"Model file '{path}' is a folder; {Expected}.");
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Model file '{path}' does not exist; {Expected}.", path);
        UserFile.CheckRegular(path, "model zip");   // a FIFO or /dev/zero would block or never end
        if (info.Length == 0) throw new ModelPayloadException($"Model file '{path}' is empty (0 bytes); {Expected}. Was a save interrupted? SaveAtomic never leaves a partial file.");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        CheckStart(stream, $"Model file '{path}'");
    }

    /// <summary>Checks that a seekable stream starts like a zip file; leaves its position where it was.</summary>
    public static void CheckStart(Stream stream, string what)
    {
        if (!stream.CanSeek) return;
        long start = stream.Position;
        Span<byte> head = stackalloc byte[4];
        int read = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = start;
        if (read == 0) throw new ModelPayloadException($"{what} is empty; {Expected}.");
        if (read < 4 || head[0] != (byte)'P' || head[1] != (byte)'K' || !(head[2] == 3 && head[3] == 4 || head[2] == 5 && head[3] == 6))
            throw new ModelPayloadException($"{what} is not a zip file (it starts with bytes {Convert.ToHexString(head[..read])}, a zip starts with 504B0304); {Expected}.");
    }

    /// <summary>Runs <paramref name="load"/>; any failure is rethrown with <paramref name="what"/> (the file) in front and what was expected.</summary>
    public static T Wrap<T>(string what, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            var ours = OurOwn(e);
            if (ours is not null) throw Prefixed(ours, what);
            // ML.NET wraps the zip reader's error ("Failed to open a zip archive"); the innermost one says what is wrong.
            var chain = new List<Exception>();
            for (var x = e; x is not null; x = x.InnerException) chain.Add(x);
            bool zipLevel = chain.Any(x => x is InvalidDataException
                || x.TargetSite?.DeclaringType?.Namespace?.StartsWith("System.IO.Compression", StringComparison.Ordinal) == true
                || x.Message.Contains("zip archive", StringComparison.OrdinalIgnoreCase) || x.Message.Contains("Central Directory", StringComparison.OrdinalIgnoreCase));
            string said = string.Join(": ", chain.Select(x => x.Message.TrimEnd('.')).Distinct());
            throw new ModelPayloadException(zipLevel
                ? $"{what} is not a readable zip: it is damaged or truncated ({said}); {Expected}. Was it copied or saved only in part? SaveAtomic never leaves a partial file."
                : $"{what} is a zip but not a model ML.NET can load ({said}); {Expected}, with its TransformerChain (or DataLoaderModel) entries.", e);
        }
    }

    /// <summary>The outermost exception in the chain thrown by MLNet.FineTune itself (ML.NET may wrap our loaders' errors; ours may wrap a cause of ours).</summary>
    static Exception? OurOwn(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x.TargetSite?.DeclaringType?.Namespace?.StartsWith("MLNet.FineTune", StringComparison.Ordinal) == true) return x;
        return null;
    }

    static Exception Prefixed(Exception e, string what)
    {
        string message = $"{what}: {e.Message}";
        return e switch
        {
            InvalidDataException => new InvalidDataException(message, e),
            InvalidOperationException => new InvalidOperationException(message, e),
            NotSupportedException => new NotSupportedException(message, e),
            FileNotFoundException f => new FileNotFoundException(message, f.FileName, e),
            _ => new ModelPayloadException(message, e),
        };
    }
}
