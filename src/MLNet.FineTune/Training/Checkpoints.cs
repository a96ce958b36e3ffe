using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLNet.FineTune.Training;

/// <summary>
/// Checkpoint folders <c>checkpoint-&lt;step&gt;</c> under a root folder, each holding:
/// <c>model.bin</c> (weights, <see cref="WeightSnapshot"/> format), <c>optimizer.bin</c> (<see cref="AdamW.Save(BinaryWriter)"/>),
/// <c>rng.bin</c> (torch CPU generator state), <c>data_order.bin</c> (the current epoch's batches),
/// <c>best_model.bin</c> (best weights so far, when kept) and <c>trainer_state.json</c> (step, epoch, batch
/// position, seed, scheduler step, early-stopping state, history).
/// A checkpoint is written into a hidden temporary folder and renamed into place, so a crash never leaves a
/// half-written <c>checkpoint-&lt;step&gt;</c>.
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
        string final = Path.Combine(root, Prefix + step.ToString(CultureInfo.InvariantCulture));
        string temp = Path.Combine(root, $".tmp-{Prefix}{step}-{Guid.NewGuid():N}");
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

    internal static void WriteState(string path, TrainerState state) =>
        File.WriteAllText(path, JsonSerializer.Serialize(state, Json));

    internal static TrainerState ReadState(string path) =>
        JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json)
        ?? throw new InvalidDataException($"{path}: empty trainer state.");

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

    internal static IReadOnlyList<int[]> ReadPlan(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var plan = new int[reader.ReadInt32()][];
        for (int b = 0; b < plan.Length; b++)
        {
            plan[b] = new int[reader.ReadInt32()];
            for (int i = 0; i < plan[b].Length; i++) plan[b][i] = reader.ReadInt32();
        }
        return plan;
    }
}
