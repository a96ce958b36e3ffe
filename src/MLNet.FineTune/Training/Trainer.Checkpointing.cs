using System.Security.Cryptography;
using System.Text;
using MLNet.FineTune.Modeling.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

internal sealed partial class Trainer<TBatch>
{
    void WriteCheckpoint(nn.Module module, AdamW optimizer, LearningRateScheduler scheduler, RunState run,
        IReadOnlyList<int[]> plan, int totalSteps, IBatchSource<TBatch> data)
    {
        var o = Options;
        var shape = ModelShape.Of(module);
        var state = new TrainerState
        {
            GlobalStep = run.History.GlobalStep,
            TotalSteps = totalSteps,
            Epoch = run.Epoch,
            BatchInEpoch = run.BatchInEpoch,
            Seed = o.Seed,
            BatchSize = o.BatchSize,
            GradientAccumulationSteps = o.GradientAccumulationSteps,
            ExampleCount = data.Count,
            TaskSampling = o.TaskSampling,
            SchedulerStep = scheduler.CurrentStep,
            BestMetric = run.EarlyStopping.Best,
            BestStep = run.EarlyStopping.BestStep,
            EvaluationsWithoutImprovement = run.EarlyStopping.EvaluationsWithoutImprovement,
            ModelShape = shape.Hash,
            ModelShapeSummary = shape.Summary,
            DataFingerprint = data.Fingerprint,
            Steps = run.History.Steps,
            Evaluations = run.History.Evaluations,
        };
        string path = Checkpoints.Write(o.CheckpointFolder!, state.GlobalStep, o.KeepLastCheckpoints, folder =>
        {
            WeightSnapshot.WriteModule(module, Path.Combine(folder, Checkpoints.ModelFile));
            optimizer.Save(Path.Combine(folder, Checkpoints.OptimizerFile));
            using (var rng = random.get_rng_state()) rng.Save(Path.Combine(folder, Checkpoints.RngFile));
            Checkpoints.WritePlan(Path.Combine(folder, Checkpoints.DataOrderFile), plan);
            run.Best?.Save(Path.Combine(folder, Checkpoints.BestModelFile));
            // Written last: a folder counts as a checkpoint only once its state file exists.
            Checkpoints.WriteState(Path.Combine(folder, Checkpoints.StateFile), state);
        });
        Log($"Checkpoint written: {path}");
    }

    /// <summary>
    /// Loads a checkpoint into the run; returns the data plan of the epoch to continue. Everything that can be checked
    /// before the run is touched is checked first (settings, model shape, data fingerprint, data order, generator
    /// state); a damaged file fails with its path (<see cref="CheckpointException"/>), a checkpoint of another run
    /// with what differs (<see cref="InvalidOperationException"/>).
    /// </summary>
    IReadOnlyList<int[]> Resume(string folder, nn.Module module, AdamW optimizer, LearningRateScheduler scheduler, RunState run, IBatchSource<TBatch> data,
        Func<int, int> batchesOfEpoch, bool isPermutation)
    {
        var o = Options;
        var state = Checkpoints.ReadState(Path.Combine(folder, Checkpoints.StateFile));
        RequireSame(folder, "BatchSize", state.BatchSize, o.BatchSize);
        RequireSame(folder, "GradientAccumulationSteps", state.GradientAccumulationSteps, o.GradientAccumulationSteps);
        RequireSame(folder, "Seed", state.Seed, o.Seed);
        RequireSame(folder, "example count", state.ExampleCount, data.Count);
        if (state.TaskSampling != o.TaskSampling)
            throw new InvalidOperationException($"Cannot resume from {folder}: it was written with TaskSampling {state.TaskSampling}, this run uses {o.TaskSampling}.");
        var shape = ModelShape.Of(module);
        if (state.ModelShape is not null && state.ModelShape != shape.Hash)
            throw new InvalidOperationException($"Cannot resume from {folder}: it holds a model of another shape ({state.ModelShapeSummary ?? "?"}; " +
                $"this run's model: {shape.Summary}). Resume with the same base model, heads and PEFT options, or use another CheckpointFolder.");
        if (state.DataFingerprint is not null && data.Fingerprint is not null && state.DataFingerprint != data.Fingerprint)
            throw new InvalidOperationException($"Cannot resume from {folder}: it was trained on other data ({state.ExampleCount} examples with data fingerprint " +
                $"{state.DataFingerprint}; this run's {data.Count} examples have fingerprint {data.Fingerprint}). Resume with the same training rows, or use another CheckpointFolder.");
        if (state.FormatVersion < 2)
            Log($"Note: {folder} predates model-shape and data fingerprints (trainer_state.json format {state.FormatVersion}); its weights are checked tensor by tensor, the data is not.");
        var plan = Checkpoints.ReadPlan(Path.Combine(folder, Checkpoints.DataOrderFile), data.Count, o.BatchSize, batchesOfEpoch(state.Epoch), isPermutation);
        if (state.BatchInEpoch > plan.Count)
            throw new CheckpointException($"{Path.Combine(folder, Checkpoints.StateFile)}: BatchInEpoch {state.BatchInEpoch} is past the epoch's {plan.Count} batches; the checkpoint is damaged.");
        using var rngState = ReadRngState(Path.Combine(folder, Checkpoints.RngFile));

        WeightSnapshot.ReadInto(module, Path.Combine(folder, Checkpoints.ModelFile));
        optimizer.Load(Path.Combine(folder, Checkpoints.OptimizerFile));
        scheduler.Restore(state.SchedulerStep);
        random.set_rng_state(rngState);
        string best = Path.Combine(folder, Checkpoints.BestModelFile);
        if (File.Exists(best))
        {
            run.Best = WeightSnapshot.Load(best);
            run.Best.CheckMatches(module, best);
        }

        run.Epoch = state.Epoch;
        run.BatchInEpoch = state.BatchInEpoch;
        run.EarlyStopping.Best = state.BestMetric;
        run.EarlyStopping.BestStep = state.BestStep;
        run.EarlyStopping.EvaluationsWithoutImprovement = state.EvaluationsWithoutImprovement;
        run.History.Steps.AddRange(state.Steps);
        run.History.Evaluations.AddRange(state.Evaluations);
        run.History.GlobalStep = state.GlobalStep;
        run.History.ResumedFromStep = state.GlobalStep;
        Log($"Resumed from {folder} (step {state.GlobalStep}, epoch {state.Epoch + 1}, batch {state.BatchInEpoch}).");
        return plan;
    }

    /// <summary>The CPU generator's state: a byte tensor exactly as long as the current generator's.</summary>
    static Tensor ReadRngState(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        using var current = random.get_rng_state();
        var header = CheckpointTensors.PeekHeader(reader, path, "the random generator state");
        if (header.DType != current.dtype || !header.Shape.SequenceEqual(current.shape))
            throw new CheckpointException($"{path}: the random generator state is {header}, expected {current.dtype}[{string.Join(",", current.shape)}]; the checkpoint is damaged.");
        var state = CheckpointTensors.Read(reader, path, "the random generator state");
        if (reader.BaseStream.Position != reader.BaseStream.Length)
        {
            state.Dispose();
            throw new CheckpointException($"{path}: extra bytes after the random generator state; the checkpoint is damaged.");
        }
        return state;
    }

    static void RequireSame(string folder, string what, int saved, int current)
    {
        if (saved != current)
            throw new InvalidOperationException($"Cannot resume from {folder}: it was written with {what} {saved}, this run uses {current}.");
    }
}

/// <summary>A module's tensor names, dtypes and shapes: their sha256, and a summary for messages.</summary>
internal static class ModelShape
{
    public static (string Hash, string Summary) Of(nn.Module module)
    {
        var text = new StringBuilder();
        long values = 0;
        int count = 0;
        foreach (var (name, tensor) in module.state_dict())
        {
            text.Append(name).Append(':').Append(tensor.dtype).Append('[').AppendJoin(',', tensor.shape).Append("]\n");
            values += tensor.numel();
            count++;
        }
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        return (hash, $"{count} tensors, {values:N0} values, shape hash {hash[..12]}");
    }
}
