using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using MLNet.FineTune.Modeling.Checkpoints;

namespace MLNet.FineTune.Training;

/// <summary>
/// Checkpoint folders <c>checkpoint-&lt;step&gt;</c> under a root folder, each holding:
/// <c>model.bin</c> (weights, <see cref="WeightSnapshot"/> format), <c>optimizer.bin</c> (<see cref="AdamW.Save(BinaryWriter)"/>),
/// <c>rng.bin</c> (torch CPU generator state), <c>data_order.bin</c> (the current epoch's batches),
/// <c>best_model.bin</c> (best weights so far, when kept) and <c>trainer_state.json</c> (step, epoch, batch
/// position, seed, scheduler step, early-stopping state, history).
/// A checkpoint is written into a hidden temporary folder and renamed into place, so a crash never leaves a
/// half-written <c>checkpoint-&lt;step&gt;</c>; the temporary folder is named <c>.tmp-checkpoint-&lt;step&gt;-&lt;host&gt;-&lt;pid&gt;-&lt;guid&gt;</c>
/// so that the next write into the same root deletes the ones a killed writer left (see <see cref="AtomicSaveTempFiles"/>).
/// Every file is checked on read: a damaged or foreign checkpoint fails with its path and the reason.
/// </summary>
internal static class Checkpoints
{
    /// <summary>Prefix of checkpoint folder names.</summary>
    public const string Prefix = "checkpoint-";
    internal const string ModelFile = "model.bin";
    internal const string OptimizerFile = "optimizer.bin";
    internal const string RngFile = "rng.bin";
    internal const string DataOrderFile = "data_order.bin";
    internal const string BestModelFile = "best_model.bin";
    internal const string StateFile = "trainer_state.json";

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Complete checkpoint folders under <paramref name="root"/>, oldest step first.</summary>
    public static IReadOnlyList<(int Step, string Path)> List(string root)
    {
        if (!Directory.Exists(root)) return [];
        return Directory.GetDirectories(root, Prefix + "*")
            .Select(p => (Ok: int.TryParse(Path.GetFileName(p)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int s), Step: s, Path: p))
            .Where(c => c.Ok && File.Exists(Path.Combine(c.Path, StateFile)))
            .OrderBy(c => c.Step)
            .Select(c => (c.Step, c.Path))
            .ToList();
    }

    /// <summary>The folder of the highest-step checkpoint under <paramref name="root"/>, or null.</summary>
    public static string? FindLatest(string root) => List(root) is { Count: > 0 } all ? all[^1].Path : null;

    /// <summary>Writes checkpoint-<paramref name="step"/> atomically, then deletes all but the newest <paramref name="keepLast"/>.</summary>
    internal static string Write(string root, int step, int keepLast, Action<string> writeFiles)
    {
        Directory.CreateDirectory(root);
        AtomicSaveTempFiles.DeleteStaleFolders(root, TempFolderName);
        string final = Path.Combine(root, Prefix + step.ToString(CultureInfo.InvariantCulture));
        string temp = Path.Combine(root, $".tmp-{Prefix}{step}-{AtomicSaveTempFiles.Writer(Environment.ProcessId)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            writeFiles(temp);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        var all = List(root);
        foreach (var (_, path) in all.Take(Math.Max(0, all.Count - keepLast))) Directory.Delete(path, recursive: true);
        return final;
    }

    /// <summary>.tmp-checkpoint-&lt;step&gt;-&lt;host&gt;-&lt;pid&gt;-&lt;guid&gt;, or the older .tmp-checkpoint-&lt;step&gt;-&lt;guid&gt;.</summary>
    static readonly Regex TempFolderName = new($@"^\.tmp-{Prefix}\d+-(?:(?<host>[A-Za-z0-9_-]+)-(?<pid>\d+)-)?[0-9a-f]{{32}}$");

    internal static void WriteState(string path, TrainerState state) =>
        File.WriteAllText(path, JsonSerializer.Serialize(state, Json));

    /// <exception cref="CheckpointException">Not JSON, a field of the wrong type, or a value no writer produces.</exception>
    internal static TrainerState ReadState(string path)
    {
        TrainerState? state;
        try { state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllBytes(path), Json); }
        catch (JsonException e) { throw new CheckpointException($"{path}: not a valid trainer state ({e.Message}); the checkpoint is damaged.", e); }
        if (state is null) throw new CheckpointException($"{path}: holds JSON null instead of a trainer state; the checkpoint is damaged.");
        if (state.Problem() is { } problem) throw new CheckpointException($"{path}: {problem}; the checkpoint is damaged.");
        return state;
    }

    /// <summary>Layout: batch count (int32), then per batch: size (int32) and example indices (int32 each).</summary>
    internal static void WritePlan(string path, IReadOnlyList<int[]> plan)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(plan.Count);
        foreach (var batch in plan)
        {
            writer.Write(batch.Length);
            foreach (int i in batch) writer.Write(i);
        }
    }

    /// <summary>
    /// Reads a plan written by <see cref="WritePlan"/> and checks it against the run: <paramref name="expectedBatches"/>
    /// batches of 1 to <paramref name="batchSize"/> example indices in [0, <paramref name="exampleCount"/>), each index
    /// exactly once when <paramref name="isPermutation"/> (one pass over the data, as Mixed and Proportional plan it).
    /// </summary>
    /// <exception cref="CheckpointException">The file is truncated, or the plan is not one this run could have made.</exception>
    internal static IReadOnlyList<int[]> ReadPlan(string path, int exampleCount, int batchSize, int expectedBatches, bool isPermutation)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        long length = reader.BaseStream.Length;
        int count = CheckpointTensors.Guard(path, "the batch count", reader.ReadInt32);
        if (count != expectedBatches)
            throw new CheckpointException($"{path}: the data order holds {count} batches but this run has {expectedBatches} per epoch; the checkpoint is damaged or belongs to other data.");
        var plan = new int[count][];
        var seen = isPermutation ? new bool[exampleCount] : null;
        for (int b = 0; b < plan.Length; b++)
        {
            int size = CheckpointTensors.Guard(path, $"batch {b}'s size", reader.ReadInt32);
            if (size < 1 || size > batchSize || size > (length - reader.BaseStream.Position) / 4)
                throw new CheckpointException($"{path}: batch {b} declares {size} examples (expected 1 to {batchSize}, within the file's {length} bytes); the data order is damaged.");
            plan[b] = new int[size];
            for (int i = 0; i < size; i++)
            {
                int index = reader.ReadInt32();
                if (index < 0 || index >= exampleCount)
                    throw new CheckpointException($"{path}: batch {b} refers to example {index}, outside 0 to {exampleCount - 1}; the data order is damaged or belongs to other data.");
                if (seen is not null && seen[index])
                    throw new CheckpointException($"{path}: example {index} appears twice in the epoch's data order (expected a permutation of the {exampleCount} examples); the data order is damaged.");
                if (seen is not null) seen[index] = true;
                plan[b][i] = index;
            }
        }
        if (seen is not null && Array.IndexOf(seen, false) is int missing and >= 0)
            throw new CheckpointException($"{path}: example {missing} is missing from the epoch's data order (expected a permutation of the {exampleCount} examples); the data order is damaged.");
        if (reader.BaseStream.Position != length)
            throw new CheckpointException($"{path}: {length - reader.BaseStream.Position} bytes follow the data order; the file is damaged.");
        return plan;
    }
}
