using System.Diagnostics;
using System.Globalization;
using MLNet.FineTune.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>
/// The fine-tuning loop: epochs or max steps, gradient accumulation, clipping, AdamW with a warmup schedule,
/// periodic evaluation with early stopping and best-weight restore, cancellation at step boundaries, and
/// atomic checkpoints from which a resumed run reproduces an uninterrupted one bit for bit (on CPU).
/// </summary>
/// <typeparam name="TBatch">Batch type shared by the model and the batch source.</typeparam>
internal sealed partial class Trainer<TBatch>
{
    readonly IProgress<FineTuneProgress>? progress;
    readonly Action<string>? log;

    /// <summary>Creates a trainer.</summary>
    /// <param name="options">Hyper-parameters; validated here, never modified.</param>
    /// <param name="progress">Receives a report after each optimizer step and each evaluation.</param>
    /// <param name="log">Receives human-readable lines (every <see cref="TrainingOptions.LoggingSteps"/> steps, evaluations, checkpoints).</param>
    public Trainer(TrainingOptions options, IProgress<FineTuneProgress>? progress = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        this.progress = progress;
        this.log = log;
    }

    /// <summary>The run's options.</summary>
    public TrainingOptions Options { get; }

    /// <summary>
    /// Trains <paramref name="model"/> in place and returns what happened. Seeds torch with <see cref="TrainingOptions.Seed"/>
    /// first (or restores the checkpointed generator state when resuming).
    /// </summary>
    /// <param name="model">Module + loss.</param>
    /// <param name="data">Training examples.</param>
    /// <param name="evaluate">Returns validation metrics; called in eval mode under no_grad. Null: no evaluation.</param>
    /// <param name="cancellationToken">Stops the run before the next optimizer step; a checkpoint is written when a folder is set.</param>
    public TrainingHistory Train(ITrainableModel<TBatch> model, IBatchSource<TBatch> data,
        Func<IReadOnlyDictionary<string, double>>? evaluate = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException("The training data has no examples.", nameof(data));
        var o = Options;
        var module = model.Module;
        var groups = model.CreateParameterGroups(o.WeightDecay);
        Parameter[] trainable = groups.SelectMany(g => g.Parameters).ToArray();
        if (trainable.Length == 0) throw new InvalidOperationException("The model has no trainable parameters (all have requires_grad = false).");

        Func<int, int> taskGroup = data.GetTaskGroup;
        Func<int, int>? lengths = o.GroupByLength ? data.GetLength : null;
        // A source that plans its own epochs (e.g. no duplicate texts in a batch) may have a different number of batches in each.
        var firstOwnPlan = data.PlanEpoch(o.BatchSize, o.Seed, 0, o.Shuffle);
        IReadOnlyList<int[]> PlanEpoch(int epoch) => firstOwnPlan is null
            ? BatchPlanner.Plan(data.Count, o.BatchSize, o.Seed, epoch, o.Shuffle, lengths, o.TaskSampling, taskGroup)
            : epoch == 0 ? firstOwnPlan : data.PlanEpoch(o.BatchSize, o.Seed, epoch, o.Shuffle)!;
        int batchesPerEpoch = firstOwnPlan?.Count ?? BatchPlanner.BatchesPerEpoch(data.Count, o.BatchSize, o.TaskSampling, taskGroup);
        Func<int, int> batchesOfEpoch = firstOwnPlan is null ? _ => batchesPerEpoch : e => PlanEpoch(e).Count;
        var (totalSteps, epochs) = firstOwnPlan is null ? StepsAndEpochs(batchesPerEpoch) : StepsAndEpochs(batchesOfEpoch);
        int warmup = o.WarmupSteps > 0 ? o.WarmupSteps : LearningRateScheduler.WarmupStepsFromRatio(o.WarmupRatio, totalSteps);

        using var optimizer = new AdamW(groups, o.LearningRate, o.AdamBeta1, o.AdamBeta2, o.AdamEpsilon);
        var scheduler = new LearningRateScheduler(optimizer, o.LearningRate, o.Schedule, warmup, totalSteps);
        var run = new RunState(new TrainingHistory(), new EarlyStoppingTracker(o));
        // This run's own random stream (dropout masks): another run in the process, even with the same seed, draws from its own.
        using var rng = new TorchRandomStream(o.Seed);
        IReadOnlyList<int[]>? plan = null;
        if (o.ResumeFromLatestCheckpoint && Checkpoints.FindLatest(o.CheckpointFolder!) is { } latest)
            plan = rng.Use(() => Resume(latest, module, optimizer, scheduler, run, data, batchesOfEpoch, isPermutation: firstOwnPlan is not null || o.TaskSampling != TaskSampling.RoundRobin));

        Log($"Training {trainable.Length} parameter tensors ({trainable.Sum(p => p.numel()):N0} values) for {totalSteps} steps, " +
            $"{data.Count} examples, batch {o.BatchSize} x {o.GradientAccumulationSteps} accumulation, warmup {warmup}.");
        if (o.TaskSampling != TaskSampling.Mixed) Log(DescribeTaskSampling(data.Count, taskGroup, batchesPerEpoch));
        using var heap = NativeMemory.RetainHeap(); // no page faults for the memory each step frees and takes back
        bool wasTraining = module.training;
        module.train();
        module.zero_grad();
        var clock = Stopwatch.StartNew();
        int stepsThisRun = 0;
        long examplesThisRun = 0;
        int lastCheckpointStep = -1;
        try
        {
            for (; run.Epoch < epochs && run.Stop is null; run.Epoch++, run.BatchInEpoch = 0, plan = null)
            {
                plan ??= PlanEpoch(run.Epoch);
                while (run.BatchInEpoch < plan.Count && run.History.GlobalStep < totalSteps)
                {
                    if (cancellationToken.IsCancellationRequested) { run.Stop = StopReason.Cancelled; break; }
                    int window = Math.Min(o.GradientAccumulationSteps, plan.Count - run.BatchInEpoch);
                    double lr = scheduler.CurrentLearningRate;
                    double loss = 0, gradNorm;
                    using (NewDisposeScope())
                    {
                        for (int k = 0; k < window; k++)
                        {
                            var indices = plan[run.BatchInEpoch + k];
                            TBatch batch;
                            using (run.Times.Time(StepPhase.Data)) batch = data.CreateBatch(indices);
                            loss += AccumulateGradients(model, batch, 1.0 / window, rng, run.Times) / window;
                            examplesThisRun += indices.Length;
                        }
                        using (run.Times.Time(StepPhase.Clip))
                            gradNorm = o.MaxGradNorm > 0 ? GradientClipping.ClipGradNorm(trainable, o.MaxGradNorm) : GradientClipping.TotalNorm(trainable);
                        // Before the optimizer step: the weights (and any checkpoint) stay those of the last good step.
                        if (!double.IsFinite(loss) || !double.IsFinite(gradNorm))
                            throw Diverged(run.History.GlobalStep + 1, run.Epoch, double.IsFinite(loss) ? $"the gradient norm is {gradNorm}" : $"the loss is {loss}", lr);
                        using (run.Times.Time(StepPhase.Optimizer)) optimizer.Step();
                        scheduler.Step();
                        using (run.Times.Time(StepPhase.ZeroGrad)) module.zero_grad();
                    }
                    run.Times.CountStep();
                    run.BatchInEpoch += window;
                    int step = ++run.History.GlobalStep;
                    stepsThisRun++;
                    double epochPosition = run.Epoch + (double)run.BatchInEpoch / plan.Count;
                    run.History.Steps.Add(new StepRecord(step, epochPosition, loss, lr, gradNorm));
                    if (o.TrimNativeMemoryEverySteps > 0 && step % o.TrimNativeMemoryEverySteps == 0) NativeMemory.Trim();

                    var eta = TimeSpan.FromTicks(clock.Elapsed.Ticks / stepsThisRun * (totalSteps - step));
                    double throughput = examplesThisRun / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                    this.progress?.Report(new FineTuneProgress(run.Epoch + 1, step, totalSteps, loss, lr, throughput, null, eta));
                    if (step % o.LoggingSteps == 0 || step == totalSteps)
                        Log(string.Create(CultureInfo.InvariantCulture, $"step {step}/{totalSteps} epoch {epochPosition:F2} loss {loss:G6} lr {lr:G4} grad_norm {gradNorm:G4} {throughput:F1} ex/s eta {eta:hh\\:mm\\:ss}"));

                    bool epochEnd = run.BatchInEpoch == plan.Count;
                    bool evaluateNow = evaluate is not null && (o.EvaluationStrategy == EvaluationStrategy.Steps ? step % o.EvalSteps == 0
                        : o.EvaluationStrategy == EvaluationStrategy.Epoch && epochEnd);
                    if (evaluateNow)
                    {
                        var metrics = Evaluate(module, evaluate!);
                        run.History.Evaluations.Add(new EvaluationRecord(step, epochPosition, metrics));
                        if (run.EarlyStopping.Update(metrics, step) && o.LoadBestModelAtEnd)
                        {
                            run.Best?.Dispose();
                            run.Best = WeightSnapshot.Capture(module);
                        }
                        Log($"eval at step {step}: {string.Join(", ", metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key}={m.Value:G6}")))}");
                        this.progress?.Report(new FineTuneProgress(run.Epoch + 1, step, totalSteps, loss, lr, throughput, metrics, eta));
                        if (run.EarlyStopping.ShouldStop) run.Stop = StopReason.EarlyStopped;
                    }
                    if (o.CheckpointFolder is not null && o.CheckpointEverySteps > 0 && step % o.CheckpointEverySteps == 0)
                    {
                        RequireFiniteWeights(module, step, run.Epoch, lr);
                        rng.Use(() => WriteCheckpoint(module, optimizer, scheduler, run, plan, totalSteps, data));
                        lastCheckpointStep = step;
                    }
                    if (run.Stop is not null) break;
                }
                if (run.Stop is not null || run.History.GlobalStep >= totalSteps) break;
            }

            if (run.Stop == StopReason.Cancelled && o.CheckpointFolder is not null && lastCheckpointStep != run.History.GlobalStep)
            {
                RequireFiniteWeights(module, run.History.GlobalStep, run.Epoch, scheduler.CurrentLearningRate);
                rng.Use(() => WriteCheckpoint(module, optimizer, scheduler, run, plan!, totalSteps, data));
            }
            RequireFiniteWeights(module, run.History.GlobalStep, run.Epoch, scheduler.CurrentLearningRate);
            return Finish(module, run, wasTraining);
        }
        finally
        {
            run.Best?.Dispose();
        }
    }

    /// <summary>
    /// Optimizer steps and epochs of the run, in 64-bit arithmetic: <c>MaxSteps = int.MaxValue</c> or a huge epoch count
    /// must not wrap around into a run of zero steps.
    /// </summary>
    (int TotalSteps, int Epochs) StepsAndEpochs(int batchesPerEpoch)
    {
        var o = Options;
        long stepsPerEpoch = ((long)batchesPerEpoch + o.GradientAccumulationSteps - 1) / o.GradientAccumulationSteps;
        long total = o.MaxSteps > 0 ? o.MaxSteps : stepsPerEpoch * o.Epochs;
        if (total > int.MaxValue)
            throw new ArgumentException($"TrainingOptions.Epochs {o.Epochs} x {stepsPerEpoch} optimizer steps per epoch = {total} steps, more than {int.MaxValue}; " +
                "lower Epochs or set MaxSteps.", "Epochs");
        long epochs = o.MaxSteps > 0 ? (o.MaxSteps + stepsPerEpoch - 1) / stepsPerEpoch : o.Epochs;
        return ((int)total, (int)epochs);
    }

    /// <summary>
    /// Steps and epochs when the source plans its own epochs (<see cref="IBatchSource{TBatch}.PlanEpoch"/>): each epoch's
    /// batches are counted. With MaxSteps the loop ends at the step count, so the epochs are not bounded.
    /// </summary>
    (int TotalSteps, int Epochs) StepsAndEpochs(Func<int, int> batchesOfEpoch)
    {
        var o = Options;
        if (o.MaxSteps > 0) return (o.MaxSteps, int.MaxValue);
        long total = 0;
        for (int epoch = 0; epoch < o.Epochs; epoch++)
        {
            total += ((long)batchesOfEpoch(epoch) + o.GradientAccumulationSteps - 1) / o.GradientAccumulationSteps;
            if (total > int.MaxValue)
                throw new ArgumentException($"TrainingOptions.Epochs {o.Epochs} make more than {int.MaxValue} optimizer steps; lower Epochs or set MaxSteps.", "Epochs");
        }
        return ((int)total, o.Epochs);
    }

    /// <summary>The error that ends a run whose loss, gradients or weights stopped being finite numbers.</summary>
    InvalidOperationException Diverged(int step, int epoch, string what, double lr)
    {
        var o = Options;
        string checkpoint = o.CheckpointFolder is null ? ""
            : Checkpoints.FindLatest(o.CheckpointFolder) is { } last ? $" The last good checkpoint is {last}; no checkpoint was written after it."
            : $" No checkpoint had been written to {o.CheckpointFolder} yet.";
        Log($"Training diverged at step {step}: {what}.");
        static string G4(double x) => x.ToString("G4", CultureInfo.InvariantCulture);
        return new InvalidOperationException(
            $"Training diverged at step {step} (epoch {epoch + 1}): {what} (learning rate {G4(lr)}), so no model was produced.{checkpoint} " +
            $"Lower TrainingOptions.LearningRate (now {G4(o.LearningRate)}), add warmup, keep gradient clipping (MaxGradNorm, now {G4(o.MaxGradNorm)}), " +
            "or look for extreme label or class-weight values.");
    }

    /// <summary>Refuses to checkpoint or return weights that are NaN or infinite (a step too large for float32 can make them so).</summary>
    void RequireFiniteWeights(nn.Module module, int step, int epoch, double lr)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in module.named_parameters())
            if (parameter.requires_grad && !parameter.isfinite().all().item<bool>())
                throw Diverged(step, epoch, $"parameter '{name}' holds NaN or infinite values after the optimizer step", lr);
    }

    /// <summary>
    /// Forward + backward of one micro-batch, the loss scaled by <paramref name="scale"/> (1 / accumulation window); returns
    /// the unscaled loss. The forward pass draws its dropout masks from <paramref name="rng"/> when given.
    /// </summary>
    internal static double AccumulateGradients(ITrainableModel<TBatch> model, TBatch batch, double scale, TorchRandomStream? rng = null, StepPhaseTimes? times = null)
    {
        using var scope = NewDisposeScope();
        Tensor loss;
        using (times?.Time(StepPhase.Forward))
            loss = rng is null ? model.ComputeLoss(batch) : rng.Use(() => model.ComputeLoss(batch));
        if (loss.numel() != 1)
            throw new InvalidOperationException($"ComputeLoss must return a scalar; got shape [{string.Join(", ", loss.shape)}].");
        double value = loss.ItemSingle();
        using (times?.Time(StepPhase.Backward))
        {
            if (scale == 1.0) loss.backward();
            else loss.Times(scale).backward();
        }
        return value;
    }

    static IReadOnlyDictionary<string, double> Evaluate(nn.Module module, Func<IReadOnlyDictionary<string, double>> evaluate)
    {
        module.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return new Dictionary<string, double>(evaluate());
        }
        finally
        {
            module.train();
        }
    }

    TrainingHistory Finish(nn.Module module, RunState run, bool wasTraining)
    {
        var history = run.History;
        history.StopReason = run.Stop ?? StopReason.Completed;
        history.BestMetric = run.EarlyStopping.Best;
        history.BestStep = run.EarlyStopping.BestStep;
        if (Options.LoadBestModelAtEnd && run.Best is not null)
        {
            run.Best.RestoreInto(module);
            history.RestoredBestWeights = true;
            Log($"Restored the weights of step {history.BestStep} ({Options.MetricForBestModel} = {history.BestMetric}).");
        }
        module.train(wasTraining);
        history.PhaseTimes = run.Times;
        Log($"Training ended ({history.StopReason}) after {history.GlobalStep} steps; time {run.Times}.");
        return history;
    }

    void Log(string message) => this.log?.Invoke(message);

    string DescribeTaskSampling(int count, Func<int, int> taskGroup, int batchesPerEpoch)
    {
        var sizes = BatchPlanner.Groups(count, taskGroup).Select(g => (Group: taskGroup(g[0]), Rows: g.Length)).ToList();
        string groups = string.Join(", ", sizes.Select(s => $"group {s.Group}: {s.Rows} rows"));
        return Options.TaskSampling == TaskSampling.RoundRobin
            ? $"Task sampling RoundRobin over {sizes.Count} task groups ({groups}): single-task batches taking turns; an epoch is one pass over " +
              $"the largest group ({batchesPerEpoch} batches), smaller groups are reshuffled and restarted when they run out."
            : $"Task sampling Proportional over {sizes.Count} task groups ({groups}): single-task batches in random order, {batchesPerEpoch} batches per epoch.";
    }

    sealed class RunState(TrainingHistory history, EarlyStoppingTracker earlyStopping)
    {
        public TrainingHistory History { get; } = history;
        public EarlyStoppingTracker EarlyStopping { get; } = earlyStopping;
        public WeightSnapshot? Best { get; set; }
        public StepPhaseTimes Times { get; } = new();
        public int Epoch { get; set; }
        public int BatchInEpoch { get; set; }
        public StopReason? Stop { get; set; }
    }
}
