using MLNet.FineTune.Modeling;
using System.Collections.Concurrent;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Onnx;

namespace MLNet.FineTune;

/// <summary>
/// Where trainable-only model zips (<see cref="ModelWeights.TrainableOnly"/>) find their base checkpoint. One line before
/// <c>mlContext.Model.Load</c>: <c>FineTuneModels.RegisterBaseModelFolder("models/bert-base-uncased");</c>. A base whose
/// weights hash differs from the one recorded at training time is refused, also when the registered folder's weights
/// change after registration (checked at every load, see <see cref="FindBaseModelFolder"/>).
/// </summary>
public static class FineTuneModels
{
    static readonly ConcurrentDictionary<string, Registration> folders = new(); // sha256 -> registration

    /// <summary>A registered folder, its weights' sha256 and the size and write time of each weight file when hashed.</summary>
    sealed record Registration(string Folder, string Sha256, IReadOnlyList<FileStamp> Stamps);

    readonly record struct FileStamp(string Path, long Length, DateTime LastWriteUtc);

    /// <summary>Makes a checkpoint folder available to trainable-only model zips (its weights are hashed here, and again at load if they changed).</summary>
    public static void RegisterBaseModelFolder(string folder)
    {
        var full = Path.GetFullPath(folder);
        var stamps = Stamp(full); // before hashing: a write during hashing then shows up as a change at load
        var sha = CheckpointFolder.WeightsSha256(full);
        folders[sha] = new Registration(full, sha, stamps);
    }

    /// <summary>Makes a named pretrained model (resolved to its cached folder) available to trainable-only model zips.</summary>
    public static void RegisterBaseModel(PretrainedModel model) => RegisterBaseModelFolder(model.GetFolder());

    /// <summary>Forgets a registered folder (tests: the registry is process-wide).</summary>
    internal static void UnregisterBaseModelFolder(string folder)
    {
        var full = Path.GetFullPath(folder);
        foreach (var (sha, registration) in folders)
            if (registration.Folder == full) folders.TryRemove(sha, out _);
    }

    /// <summary>
    /// The registered folder holding weights with <paramref name="sha256"/>. The registration is re-checked first: when
    /// any weight file's size or write time differs from registration (or a file appeared or vanished), the folder is
    /// hashed again, and a folder whose weights are no longer the ones the model was trained on is refused. Size and
    /// time rather than a full hash at every load: hashing a 440 MB base costs about a second per load, and any ordinary
    /// rewrite, copy or edit of a file changes its write time; only a deliberate same-size rewrite that also resets the
    /// time goes unseen.
    /// </summary>
    internal static string FindBaseModelFolder(string name, string sha256)
    {
        if (folders.TryGetValue(sha256, out var registration)) return Recheck(registration, name);
        var sameName = folders.Values.Select(r => r.Folder).FirstOrDefault(f => Path.GetFileName(f.TrimEnd(Path.DirectorySeparatorChar)) == name);
        if (sameName != null)
            throw new InvalidDataException($"This model zip was trained on base '{name}' with weights sha256 {sha256}, but the registered folder {sameName} " +
                "holds different weights. Register the exact base checkpoint the model was trained on.");
        throw new InvalidOperationException($"This model zip holds only adapter and head weights; it needs its base checkpoint '{name}' " +
            $"(weights sha256 {sha256}). Call FineTuneModels.RegisterBaseModelFolder(\"<path to {name}>\") once before loading.");
    }

    static string Recheck(Registration registration, string name)
    {
        var folder = registration.Folder;
        IReadOnlyList<FileStamp> now;
        try { now = Stamp(folder); }
        catch (CheckpointException e)
        {
            throw new InvalidDataException($"The base folder {folder} registered for '{name}' no longer holds its weights ({e.Message}); " +
                "restore it, or register the folder that now holds the base checkpoint.", e);
        }
        if (now.SequenceEqual(registration.Stamps)) return folder;
        var changed = now.Except(registration.Stamps).Select(s => Path.GetFileName(s.Path))
            .Concat(registration.Stamps.Select(s => s.Path).Except(now.Select(s => s.Path)).Select(Path.GetFileName)).Distinct();
        var sha = CheckpointFolder.WeightsSha256(folder);
        if (sha == registration.Sha256)
        {
            folders[sha] = registration with { Stamps = now }; // touched, same bytes
            return folder;
        }
        folders.TryRemove(new KeyValuePair<string, Registration>(registration.Sha256, registration));
        folders[sha] = new Registration(folder, sha, now);
        throw new InvalidDataException($"The base folder {folder} registered for '{name}' changed after registration " +
            $"({string.Join(", ", changed)} rewritten): its weights now hash to sha256 {sha}, but this model zip was trained on weights sha256 " +
            $"{registration.Sha256}. Restore the original weights, or register the folder that holds them, before loading.");
    }

    static IReadOnlyList<FileStamp> Stamp(string folder)
    {
        var files = CheckpointFolder.IsOnnx(folder) ? [OnnxCheckpoint.PathIn(folder)] : CheckpointFolder.WeightFiles(folder).ToList();
        var index = Path.Combine(folder, CheckpointFolder.IndexFile);
        if (File.Exists(index)) files.Add(index);
        return files.Select(f => new FileInfo(f)).Select(f => new FileStamp(f.FullName, f.Exists ? f.Length : -1, f.Exists ? f.LastWriteTimeUtc : default)).ToList();
    }
}
