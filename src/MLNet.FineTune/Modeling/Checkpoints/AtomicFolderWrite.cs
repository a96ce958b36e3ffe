using System.Text.RegularExpressions;

namespace MLNet.FineTune.Modeling.Checkpoints;

/// <summary>
/// Replaces a small folder of files (a PEFT adapter: adapter_config.json + adapter_model.safetensors) so that a reader
/// always finds a complete, matching set, even when the writer is killed at any point:
/// <list type="number">
/// <item>every file is written and flushed into a sibling temp folder <c>.{name}.{host}-{pid}.{guid}.tmp</c>
/// (files of the old folder that the writer does not write, e.g. a README.md, are copied in too);</item>
/// <item>the old folder is renamed to <c>.{name}.{host}-{pid}.{guid}.old</c>, the temp folder to the target, and the old one deleted.</item>
/// </list>
/// A kill during step 1 leaves the old folder untouched (the temp folder is deleted later). A kill between the two
/// renames of step 2 leaves no folder at the target but a complete backup: <see cref="Recover"/>, run before every
/// read and write of the folder, renames it back. Each rename is atomic (same parent folder, same file system).
/// </summary>
internal static class AtomicFolderWrite
{
    /// <summary>Writes <paramref name="folder"/> as a whole: <paramref name="writeFiles"/> fills an empty temp folder.</summary>
    public static void Write(string folder, Action<string> writeFiles)
    {
        var target = Path.GetFullPath(Path.TrimEndingDirectorySeparator(folder));
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"Cannot write a folder at the file-system root: {target}.", nameof(folder));
        Directory.CreateDirectory(parent);
        if (File.Exists(target)) throw new IOException($"Cannot write the folder {target}: a file of that name exists.");
        Recover(target);
        string temp = SiblingName(target, "tmp"), backup = SiblingName(target, "old");
        Directory.CreateDirectory(temp);
        bool moved = false;
        try
        {
            writeFiles(temp);
            if (Directory.Exists(target)) CopyMissing(target, temp);
            foreach (var file in Directory.EnumerateFiles(temp, "*", SearchOption.AllDirectories)) Flush(file);
            if (!Directory.Exists(target))
            {
                Directory.Move(temp, target);
                return;
            }
            Directory.Move(target, backup);
            moved = true;
            BetweenRenames?.Invoke();
            Directory.Move(temp, target);
            moved = false;
            Directory.Delete(backup, recursive: true);
        }
        catch
        {
            if (moved && !Directory.Exists(target) && Directory.Exists(backup)) Directory.Move(backup, target);
            try { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Test hook: runs between renaming the old folder away and the new one into place.</summary>
    internal static Action? BetweenRenames;

    /// <summary>
    /// Puts back a folder that a killed <see cref="Write"/> left renamed away (its writer is gone), then deletes temp
    /// and backup folders of <paramref name="folder"/> left by gone writers. Never throws for those leftovers.
    /// </summary>
    public static void Recover(string folder)
    {
        var target = Path.GetFullPath(Path.TrimEndingDirectorySeparator(folder));
        var parent = Path.GetDirectoryName(target);
        if (parent is null || !Directory.Exists(parent)) return;
        var pattern = new Regex($@"^\.{Regex.Escape(Path.GetFileName(target))}\.(?<host>[A-Za-z0-9_-]+)-(?<pid>\d+)\.[0-9a-f]{{32}}\.(?<kind>tmp|old)$");
        if (!Directory.Exists(target))
        {
            var backup = Directory.EnumerateDirectories(parent, "." + Path.GetFileName(target) + ".*.old")
                .Select(d => (Path: d, Match: pattern.Match(Path.GetFileName(d))))
                .Where(d => d.Match.Success && AtomicSaveTempFiles.IsLeftover(d.Match, Directory.GetLastWriteTimeUtc(d.Path)))
                .OrderByDescending(d => Directory.GetLastWriteTimeUtc(d.Path)).Select(d => d.Path).FirstOrDefault();
            if (backup is not null)
            {
                try { Directory.Move(backup, target); }
                catch (IOException) when (Directory.Exists(target)) { } // another reader restored it first
            }
        }
        AtomicSaveTempFiles.DeleteStaleFolders(parent, pattern);
    }

    static string SiblingName(string target, string kind) => Path.Combine(Path.GetDirectoryName(target)!,
        $".{Path.GetFileName(target)}.{AtomicSaveTempFiles.Writer(Environment.ProcessId)}.{Guid.NewGuid():N}.{kind}");

    static void CopyMissing(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var copy = Path.Combine(to, Path.GetFileName(file));
            if (!File.Exists(copy) && !Directory.Exists(copy)) File.Copy(file, copy);
        }
        foreach (var sub in Directory.EnumerateDirectories(from))
        {
            var copy = Path.Combine(to, Path.GetFileName(sub));
            if (File.Exists(copy)) continue;
            Directory.CreateDirectory(copy);
            CopyMissing(sub, copy);
        }
    }

    static void Flush(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        stream.Flush(flushToDisk: true);
    }
}
