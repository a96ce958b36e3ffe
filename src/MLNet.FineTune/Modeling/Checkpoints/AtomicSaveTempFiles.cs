using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MLNet.FineTune.Modeling.Checkpoints;

/// <summary>
/// Names <c>SaveAtomic</c>'s temporary files <c>.{target}.{host}-{writer PID}.{guid}.tmp</c> and removes the ones a
/// killed save left behind. A process killed with -9 runs no cleanup, so without this every interrupted save of a
/// large model leaves a full-size partial file beside the target forever. The host is in the name because a PID means
/// nothing on another machine sharing the folder: such files are removed only once abandoned.
/// </summary>
internal static class AtomicSaveTempFiles
{
    /// <summary>
    /// A temp file not written for this long is abandoned even if its PID is alive again: PIDs are reused, and a
    /// save in progress writes continuously. Also the only rule for names from before the PID was in them.
    /// </summary>
    internal static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    public static string NewName(string target) =>
        Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Writer(Environment.ProcessId)}.{Guid.NewGuid():N}.tmp");

    /// <summary>
    /// Writes <paramref name="target"/> atomically: stale temp files of earlier killed writes are removed, the content
    /// goes to a temp file in the same folder (so the rename never crosses file systems), is flushed to disk, then
    /// renamed over the target. On any failure the temp file is deleted and an existing target is left as it was.
    /// </summary>
    public static void WriteFile(string target, Action<Stream> write)
    {
        DeleteStale(target);
        var temp = NewName(target);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>The writer part of a name: this host (letters, digits, '-' and '_' only) and a process id.</summary>
    internal static string Writer(int pid) => $"{Host}-{pid}";

    static readonly string Host = Regex.Replace(Environment.MachineName, "[^A-Za-z0-9_-]", "_");

    /// <summary>Deletes temp files of <paramref name="target"/> whose writer is dead or that are abandoned; never throws.</summary>
    public static void DeleteStale(string target)
    {
        var folder = Path.GetDirectoryName(target)!;
        // .model.zip.<host>-<pid>.<guid>.tmp, or the older .model.zip.<guid>.tmp
        var pattern = new Regex($@"^\.{Regex.Escape(Path.GetFileName(target))}\.(?:(?<host>[A-Za-z0-9_-]+)-(?<pid>\d+)\.)?[0-9a-f]{{32}}\.tmp$");
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateFiles(folder, $".{Path.GetFileName(target)}.*.tmp").ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (var file in candidates)
        {
            var match = pattern.Match(Path.GetFileName(file));
            if (!match.Success) continue;
            try
            {
                if (IsLeftover(match, File.GetLastWriteTimeUtc(file))) File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // another cleaner won, or not ours to delete
        }
    }

    /// <summary>
    /// Whether a temp file or folder whose name matched with groups <c>host</c> and <c>pid</c> (either may be empty,
    /// for names from before the writer was recorded) was left by a writer that is gone, or not written for
    /// <see cref="AbandonedAfter"/>.
    /// </summary>
    internal static bool IsLeftover(Match name, DateTime lastWriteUtc)
    {
        bool abandoned = DateTime.UtcNow - lastWriteUtc > AbandonedAfter;
        bool writerGone = name.Groups["host"].Value == Host && int.TryParse(name.Groups["pid"].Value, out var pid) && !IsAlive(pid);
        return abandoned || writerGone;
    }

    /// <summary>Deletes the temp folders in <paramref name="parent"/> whose names match <paramref name="pattern"/> and that <see cref="IsLeftover"/>; never throws.</summary>
    internal static void DeleteStaleFolders(string parent, Regex pattern)
    {
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateDirectories(parent, ".*").ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (var folder in candidates)
        {
            var match = pattern.Match(Path.GetFileName(folder));
            if (!match.Success) continue;
            try
            {
                // A folder's own time changes only when entries are added; a file being written updates its own.
                var lastWrite = Directory.EnumerateFiles(folder).Select(File.GetLastWriteTimeUtc).Append(Directory.GetLastWriteTimeUtc(folder)).Max();
                if (IsLeftover(match, lastWrite)) Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // another cleaner won, or not ours to delete
        }
    }

    static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true; // another thread of this process may be saving the same target
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }      // no such process
        catch (InvalidOperationException) { return false; }
        catch (System.ComponentModel.Win32Exception) { return true; } // exists but not ours to inspect: assume alive
    }
}
