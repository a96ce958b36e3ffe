using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft.Tuners;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft;

/// <summary>
/// A fine-tuning method applied to an encoder and its task head. Use in three steps:
/// <code>
/// var peft = new PeftModel(options, config.ModelType);
/// var encoder = PretrainedEncoder.Load(folder, peft.Projection).Encoder;   // LoRA/adapters wrap projections here
/// peft.Attach(encoder, head);                                             // adds the adapter / prompt, freezes
/// var optimizer = torch.optim.AdamW(peft.TrainableParameters());
/// var output = encoder.Forward(peft.PrepareInput(input));                 // prompt tuning prepends its tokens
/// </code>
/// The method itself is an <see cref="ITuner"/> (one class per method, found by <see cref="TunerRegistry"/>); this class
/// holds what every method shares: freezing, per-task adapter scopes and PEFT's parameter report.
/// Frozen parameters get requires_grad = false, so backward allocates no gradient for them.
/// </summary>
internal sealed class PeftModel
{
    readonly ITuner tuner;
    EncoderModel? encoder;

    /// <summary>Prepares the method; build the encoder through <see cref="Projection"/> next.</summary>
    /// <param name="options">The method and its settings.</param>
    /// <param name="modelType">The encoder's model_type (LoRA's default targets).</param>
    /// <param name="taskNames">The task heads' names: the adapter names when <see cref="PeftOptions.AdapterPerTask"/> is set (then required), else unused.</param>
    public PeftModel(PeftOptions options, string modelType, IReadOnlyList<string>? taskNames = null)
    {
        Options = options;
        if (options.AdapterPerTask)
        {
            options.ValidateAdapterPerTask(taskNames?.Count ?? 0);
            if (taskNames!.Distinct().Count() != taskNames!.Count) throw new ArgumentException($"Task names must be unique for PeftOptions.AdapterPerTask; got {string.Join(", ", taskNames!)}.");
            TaskAdapters = taskNames!.ToList();
        }
        tuner = TunerRegistry.Create(new TunerContext(options, modelType, TaskAdapters));
    }

    public PeftOptions Options { get; }
    /// <summary>One adapter per task, by task name (<see cref="PeftOptions.AdapterPerTask"/>), or null when adapters are shared.</summary>
    public IReadOnlyList<string>? TaskAdapters { get; }
    /// <summary>Build the encoder through this (LoRA and bottleneck adapters wrap projections while it is built).</summary>
    public ProjectionFactory Projection => tuner.Projection;
    /// <summary>The LoRA adapters (method Lora), else null.</summary>
    public LoraModel? Lora => (tuner as LoraTuner)?.Model;
    /// <summary>The learned prompt (method PromptTuning, after <see cref="Attach"/>), else null.</summary>
    public PromptEmbedding? Prompt => (tuner as PromptTuner)?.Prompt;
    /// <summary>The bottleneck adapters built (methods Houlsby, Pfeiffer).</summary>
    public IReadOnlyList<BottleneckAdapterLinear> Bottlenecks => (tuner as BottleneckTuner)?.Adapters ?? [];
    public EncoderModel Encoder => encoder ?? throw new InvalidOperationException("Call Attach(encoder, head) first.");
    public nn.Module? Head { get; private set; }
    /// <summary>A trainable module the method adds beside the encoder (prompt tuning's virtual tokens), after <see cref="Attach"/>.</summary>
    public nn.Module? Auxiliary => tuner.Auxiliary;
    /// <summary>How many positions the encoder output has in front of the first real token (prompt tuning: N, else 0).</summary>
    public int VirtualTokens => Prompt?.NumVirtualTokens ?? 0;
    /// <summary>PEFT's task_type for the head: TOKEN_CLS, SEQ_CLS, or null without a head.</summary>
    public string? TaskType { get; private set; }

    /// <summary>Adds the method's trainable pieces (LoRA adapter, prompt) and freezes everything else.</summary>
    /// <param name="encoderModel">The encoder built through <see cref="Projection"/>.</param>
    /// <param name="head">The task head(s), which always train.</param>
    /// <param name="taskType">PEFT's task_type recorded in adapter files; default SEQ_CLS when a head is given.</param>
    public void Attach(EncoderModel encoderModel, nn.Module? head = null, string? taskType = null)
    {
        if (encoder is not null) throw new InvalidOperationException("Attach was already called.");
        encoder = encoderModel; Head = head;
        TaskType = head is null ? null : taskType ?? "SEQ_CLS";
        tuner.Attach(encoderModel);
        RefreshTrainable();
    }

    /// <summary>
    /// Computes with task <paramref name="task"/>'s adapter on this thread until disposed (per-task adapters). Only the
    /// forward pass needs the scope: backward follows the graph that pass recorded.
    /// </summary>
    public IDisposable UseTaskAdapter(string task)
    {
        if (TaskAdapters is null) throw new InvalidOperationException("This model has no per-task adapters (PeftOptions.AdapterPerTask is false).");
        if (!TaskAdapters.Contains(task)) throw new ArgumentException($"No adapter for task '{task}'; have: {string.Join(", ", TaskAdapters)}.", nameof(task));
        return TaskAdapterScope.Use(task);
    }

    /// <summary>The encoder input for this method: prompt tuning prepends its virtual tokens; other methods change nothing.</summary>
    public EncoderInput PrepareInput(EncoderInput input) => tuner.PrepareInput(Encoder, input);

    /// <summary>Per-token states of the real tokens only (B, T, H): drops prompt tuning's virtual positions.</summary>
    public Tensor RealTokenStates(EncoderOutput output) => tuner.RealTokenStates(output);

    /// <summary>
    /// Sets requires_grad on every parameter for the method. Call again after changing LoRA adapters (only the active
    /// adapters' matrices train, as PEFT's set_adapter).
    /// </summary>
    public void RefreshTrainable()
    {
        foreach (var (name, p) in Encoder.named_parameters())
            p.requires_grad = tuner.Trains(name) && !(Options.FreezeWordEmbeddings && name == PeftOptions.WordEmbeddingsWeight);
        if (Head is not null) foreach (var p in Head.parameters()) p.requires_grad = true; // every method trains the task head
        if (tuner.Auxiliary is { } auxiliary) foreach (var p in auxiliary.parameters()) p.requires_grad = true;
    }

    /// <summary>Whether an encoder parameter is created by <see cref="Projection"/> (bottleneck adapters): no pretrained checkpoint holds it.</summary>
    public bool IsAddedByProjection(string parameterName) => tuner.IsAddedByProjection(parameterName);

    /// <summary>Whether an encoder parameter belongs to a module listed in LoRA's modules_to_save.</summary>
    public bool IsEncoderModuleToSave(string parameterName) => tuner is LoraTuner lora && lora.IsModuleToSave(parameterName);

    /// <summary>Every parameter the optimizer should update (requires_grad = true), encoder first, then prompt, then head.</summary>
    public IReadOnlyList<Parameter> TrainableParameters() => NamedParameters().Where(p => p.Parameter.requires_grad).Select(p => p.Parameter).ToList();

    /// <summary>All parameters by name: encoder names as-is, <c>prompt.*</c>, <c>head.*</c>.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        foreach (var (n, p) in Encoder.named_parameters()) yield return (n, p);
        if (tuner.Auxiliary is { } auxiliary) foreach (var (n, p) in auxiliary.named_parameters()) yield return ("prompt." + n, p);
        if (Head is not null) foreach (var (n, p) in Head.named_parameters()) yield return ("head." + n, p);
    }

    /// <summary>PEFT's trainable-parameter counts (see <see cref="TrainableParameterReport"/> for the modules_to_save rule).</summary>
    public TrainableParameterReport ParameterReport()
    {
        long all = 0, trainable = 0, savedCopies = 0;
        foreach (var (name, p) in NamedParameters())
        {
            all += p.numel();
            if (p.requires_grad) trainable += p.numel();
            if (tuner.CountsSavedModuleCopies && (name.StartsWith("head.", StringComparison.Ordinal) || IsEncoderModuleToSave(name))) savedCopies += p.numel();
        }
        return new TrainableParameterReport(trainable, all + savedCopies);
    }
}
