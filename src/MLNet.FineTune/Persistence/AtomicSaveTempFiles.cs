using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MLNet.FineTune.Persistence;

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
                bool abandoned = DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > AbandonedAfter;
                bool writerGone = match.Groups["host"].Value == Host && int.TryParse(match.Groups["pid"].Value, out var pid) && !IsAlive(pid);
                if (abandoned || writerGone) File.Delete(file);
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
