using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

internal sealed partial class Trainer<TBatch>
{
    void WriteCheckpoint(nn.Module module, AdamW optimizer, LearningRateScheduler scheduler, RunState run,
        IReadOnlyList<int[]> plan, int totalSteps, int exampleCount)
    {
        var o = Options;
        var state = new TrainerState
        {
            GlobalStep = run.History.GlobalStep,
            TotalSteps = totalSteps,
            Epoch = run.Epoch,
            BatchInEpoch = run.BatchInEpoch,
            Seed = o.Seed,
            BatchSize = o.BatchSize,
            GradientAccumulationSteps = o.GradientAccumulationSteps,
            ExampleCount = exampleCount,
            TaskSampling = o.TaskSampling,
            SchedulerStep = scheduler.CurrentStep,
            BestMetric = run.EarlyStopping.Best,
            BestStep = run.EarlyStopping.BestStep,
            EvaluationsWithoutImprovement = run.EarlyStopping.EvaluationsWithoutImprovement,
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

    /// <summary>Loads a checkpoint into the run; returns the data plan of the epoch to continue.</summary>
    IReadOnlyList<int[]> Resume(string folder, nn.Module module, AdamW optimizer, LearningRateScheduler scheduler, RunState run, int exampleCount)
    {
        var o = Options;
        var state = Checkpoints.ReadState(Path.Combine(folder, Checkpoints.StateFile));
        RequireSame(folder, "BatchSize", state.BatchSize, o.BatchSize);
        RequireSame(folder, "GradientAccumulationSteps", state.GradientAccumulationSteps, o.GradientAccumulationSteps);
        RequireSame(folder, "Seed", state.Seed, o.Seed);
        RequireSame(folder, "example count", state.ExampleCount, exampleCount);
        if (state.TaskSampling != o.TaskSampling)
            throw new InvalidOperationException($"Cannot resume from {folder}: it was written with TaskSampling {state.TaskSampling}, this run uses {o.TaskSampling}.");

        WeightSnapshot.ReadInto(module, Path.Combine(folder, Checkpoints.ModelFile));
        optimizer.Load(Path.Combine(folder, Checkpoints.OptimizerFile));
        scheduler.Restore(state.SchedulerStep);
        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(folder, Checkpoints.RngFile))))
        using (var rng = TensorExtensionMethods.Load(reader)) random.set_rng_state(rng);
        string best = Path.Combine(folder, Checkpoints.BestModelFile);
        if (File.Exists(best)) run.Best = WeightSnapshot.Load(best);

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
        return Checkpoints.ReadPlan(Path.Combine(folder, Checkpoints.DataOrderFile));
    }

    static void RequireSame(string folder, string what, int saved, int current)
    {
        if (saved != current)
            throw new InvalidOperationException($"Cannot resume from {folder}: it was written with {what} {saved}, this run uses {current}.");
    }
}
