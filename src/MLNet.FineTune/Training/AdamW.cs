using MLNet.FineTune.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>
/// AdamW with decoupled weight decay, the same arithmetic as <c>torch.optim.AdamW</c> (single-tensor path):
/// <code>
/// p   *= 1 - lr * wd
/// m    = beta1 * m + (1 - beta1) * g
/// v    = beta2 * v + (1 - beta2) * g * g
/// p   -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// </code>
/// Every update is in place under no_grad with one temporary (the denominator) per parameter, which is what
/// makes it faster than TorchSharp's built-in AdamW (three temporaries and a wrapper per parameter), and every Scalar
/// is disposed at once (see <see cref="Modeling.ScalarFree"/> for why that matters to memory).
/// </summary>
internal sealed class AdamW : IDisposable
{
    const int FormatVersion = 1;
    const string Magic = "MLNet.FineTune.AdamW";

    readonly Slot[] slots;

    /// <summary>
    /// Whether CPU float32 parameters are updated by <see cref="AdamWKernel"/> (one pass over memory) rather than by tensor
    /// ops. The two agree within float rounding; the switch exists so that benchmarks and tests can compare them.
    /// </summary>
    internal static bool UseKernel { get; set; } = Environment.GetEnvironmentVariable("MLNET_FINETUNE_ADAMW_KERNEL") != "0";

    /// <summary>Creates the optimizer; the moment buffers are allocated now, next to each parameter.</summary>
    /// <param name="groups">Parameter groups (only trainable parameters; see <see cref="ParameterGroup"/>).</param>
    /// <param name="learningRate">Initial learning rate of every group (before its scale).</param>
    /// <param name="beta1">Decay of the first moment.</param>
    /// <param name="beta2">Decay of the second moment.</param>
    /// <param name="epsilon">Added to the bias-corrected square root of the second moment.</param>
    public AdamW(IEnumerable<ParameterGroup> groups, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "Learning rate must be >= 0.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        if (!(epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be >= 0.");
        Groups = groups.ToArray();
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        foreach (var g in Groups) g.LearningRate = learningRate * g.LearningRateScale;

        var seen = new HashSet<IntPtr>();
        var slots = new List<Slot>();
        using (no_grad())
        {
            foreach (var g in Groups)
                for (int i = 0; i < g.Parameters.Count; i++)
                {
                    var p = g.Parameters[i];
                    if (!seen.Add(p.Handle))
                        throw new ArgumentException($"Parameter '{g.ParameterNames[i]}' appears in more than one group.", nameof(groups));
                    // Detached so that a dispose scope around the caller's construction cannot free the state.
                    slots.Add(new Slot(g, p, g.ParameterNames[i],
                        zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope()));
                }
        }
        this.slots = slots.ToArray();
    }

    /// <summary>The parameter groups, in the order given.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }

    /// <summary>Epsilon added outside the square root.</summary>
    public double Epsilon { get; }

    /// <summary>Number of updates applied to the first parameter (0 before any step).</summary>
    public long StepCount => this.slots.Length == 0 ? 0 : this.slots[0].Step;

    /// <summary>Applies one update to every parameter that has a gradient (parameters without one are skipped, as in PyTorch).</summary>
    public void Step()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // The Scalars are disposed right away: TorchSharp's dispose scopes do not track Scalars, and leaving ~8 per parameter per
        // step to the finalizer pins small native blocks between libtorch's large ones, so glibc cannot reuse its freed memory
        // and a training process's RSS grows step after step (docs/benchmarks.md, "RSS over 200 steps").
        using var beta1 = Beta1.ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        foreach (var s in this.slots)
        {
            using var grad = s.Parameter.grad;
            if (grad is null) continue;
            s.Step++;
            double lr = s.Group.LearningRate;
            double wd = s.Group.WeightDecay;
            // m / (sqrt(v) / c2 + eps) = m * c2 / (sqrt(v) + eps * c2): one pass over the denominator fewer than torch's
            // form, equal to it within float rounding (the parity tests hold it to torch.optim.AdamW within 1e-6).
            double biasCorrection1 = 1 - Math.Pow(Beta1, s.Step);
            double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, s.Step));
            if (s.Fused && AdamWKernel.Supports(grad))
            {
                AdamWKernel.Update(s.Parameter, grad, s.ExpAvg, s.ExpAvgSq, (float)(1 - lr * wd), (float)Beta1, (float)(1 - Beta1),
                    (float)Beta2, (float)(1 - Beta2), (float)(-(lr * biasCorrection2Sqrt / biasCorrection1)), (float)(Epsilon * biasCorrection2Sqrt));
                continue;
            }
            if (wd != 0)
            {
                using var decay = (1 - lr * wd).ToScalar();
                s.Parameter.mul_(decay);
            }
            s.ExpAvg.mul_(beta1).add_(grad, alpha: oneMinusBeta1);
            s.ExpAvgSq.mul_(beta2).addcmul_(grad, grad, value: oneMinusBeta2);
            using var scaledEpsilon = (Epsilon * biasCorrection2Sqrt).ToScalar();
            using var stepSize = (-(lr * biasCorrection2Sqrt / biasCorrection1)).ToScalar();
            using var denom = s.ExpAvgSq.sqrt();
            denom.add_(scaledEpsilon, ScalarFree.One);
            s.Parameter.addcdiv_(s.ExpAvg, denom, value: stepSize);
        }
    }

    /// <summary>Clears the gradients of every optimized parameter (sets them to undefined, like PyTorch's default).</summary>
    public void ZeroGrad()
    {
        foreach (var s in this.slots)
        {
            using var grad = s.Parameter.grad;
            if (grad is not null) s.Parameter.grad = null;
        }
    }

    /// <summary>
    /// Writes step counts and moment buffers. Layout: magic string, format version, slot count, then per slot:
    /// parameter name, step (int64), exp_avg tensor, exp_avg_sq tensor (TorchSharp's tensor format).
    /// </summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(this.slots.Length);
        foreach (var s in this.slots)
        {
            writer.Write(s.Name);
            writer.Write(s.Step);
            s.ExpAvg.Save(writer);
            s.ExpAvgSq.Save(writer);
        }
    }

    /// <summary>Restores what <see cref="Save(BinaryWriter)"/> wrote into this optimizer (same parameters, same order).</summary>
    /// <exception cref="InvalidDataException">The state belongs to another set of parameters or format.</exception>
    /// <exception cref="Modeling.Checkpoints.CheckpointException">The file is truncated or damaged.</exception>
    public void Load(BinaryReader reader, string what = "Optimizer state")
    {
        string magic = CheckpointTensors.Guard(what, "the header", reader.ReadString);
        if (magic != Magic) throw new InvalidDataException($"{what}: expected header '{Magic}', found '{Truncate(magic)}'.");
        int version = CheckpointTensors.Guard(what, "the format version", reader.ReadInt32);
        if (version != FormatVersion) throw new InvalidDataException($"{what}: expected format version {FormatVersion}, found {version}.");
        int count = CheckpointTensors.Guard(what, "the parameter count", reader.ReadInt32);
        if (count != this.slots.Length)
            throw new InvalidDataException($"{what}: expected {this.slots.Length} parameters, found {count}.");
        foreach (var s in this.slots)
        {
            string name = CheckpointTensors.Guard(what, "a parameter name", reader.ReadString);
            if (name != s.Name) throw new InvalidDataException($"{what}: expected parameter '{s.Name}', found '{Truncate(name)}'.");
            s.Step = CheckpointTensors.Guard(what, $"'{s.Name}' step", reader.ReadInt64);
            if (s.Step < 0) throw new InvalidDataException($"{what}: '{s.Name}' has step {s.Step} (must be >= 0).");
            CheckpointTensors.ReadInto(s.ExpAvg, reader, what, $"'{s.Name}' exp_avg");
            CheckpointTensors.ReadInto(s.ExpAvgSq, reader, what, $"'{s.Name}' exp_avg_sq");
        }
    }

    static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";

    /// <summary>Writes the state to a file.</summary>
    public void Save(string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        Save(writer);
    }

    /// <summary>Reads the state from a file written by <see cref="Save(string)"/>.</summary>
    public void Load(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        Load(reader, path);
    }

    /// <summary>Frees the moment buffers.</summary>
    public void Dispose()
    {
        foreach (var s in this.slots)
        {
            s.ExpAvg.Dispose();
            s.ExpAvgSq.Dispose();
        }
    }

    sealed class Slot(ParameterGroup group, Parameter parameter, string name, Tensor expAvg, Tensor expAvgSq)
    {
        public ParameterGroup Group { get; } = group;
        public Parameter Parameter { get; } = parameter;
        public string Name { get; } = name;

        /// <summary>Whether the single-pass kernel can update this parameter (float32, contiguous, on the CPU).</summary>
        public bool Fused { get; } = UseKernel && AdamWKernel.Supports(parameter) && AdamWKernel.Supports(expAvg) && AdamWKernel.Supports(expAvgSq);
        public Tensor ExpAvg { get; } = expAvg;
        public Tensor ExpAvgSq { get; } = expAvgSq;
        public long Step { get; set; }
    }
}
