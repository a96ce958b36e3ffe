using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
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
/// Frozen parameters get requires_grad = false, so backward allocates no gradient for them.
/// </summary>
public sealed class PeftModel
{
    readonly List<BottleneckAdapterLinear> bottlenecks = new();

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
        switch (options.Method)
        {
            case PeftMethod.Lora:
                options.Lora.Validate();
                Lora = new LoraModel(modelType);
                Projection = Lora.Projection;
                break;
            case PeftMethod.Houlsby or PeftMethod.Pfeiffer:
                Projection = Peft.BottleneckAdapters.Factory(options.Method, options.Bottleneck, bottlenecks, TaskAdapters);
                break;
            case PeftMethod.PromptTuning:
                options.PromptTuning.Validate();
                Projection = Projections.Plain;
                break;
            default:
                Projection = Projections.Plain;
                break;
        }
    }

    public PeftOptions Options { get; }
    /// <summary>One adapter per task, by task name (<see cref="PeftOptions.AdapterPerTask"/>), or null when adapters are shared.</summary>
    public IReadOnlyList<string>? TaskAdapters { get; }
    /// <summary>Build the encoder through this (LoRA and bottleneck adapters wrap projections while it is built).</summary>
    public ProjectionFactory Projection { get; }
    /// <summary>The LoRA adapters (method Lora), else null.</summary>
    public LoraModel? Lora { get; }
    /// <summary>The learned prompt (method PromptTuning, after <see cref="Attach"/>), else null.</summary>
    public PromptEmbedding? Prompt { get; private set; }
    /// <summary>The bottleneck adapters built (methods Houlsby, Pfeiffer).</summary>
    public IReadOnlyList<BottleneckAdapterLinear> Bottlenecks => bottlenecks;
    public EncoderModel Encoder => encoder ?? throw new InvalidOperationException("Call Attach(encoder, head) first.");
    public nn.Module? Head { get; private set; }
    /// <summary>How many positions the encoder output has in front of the first real token (prompt tuning: N, else 0).</summary>
    public int VirtualTokens => Prompt?.NumVirtualTokens ?? 0;
    EncoderModel? encoder;

    /// <summary>Adds the method's trainable pieces (LoRA adapter, prompt) and freezes everything else.</summary>
    public void Attach(EncoderModel encoderModel, nn.Module? head = null)
    {
        if (encoder is not null) throw new InvalidOperationException("Attach was already called.");
        encoder = encoderModel; Head = head;
        if (Lora is not null)
            foreach (var name in TaskAdapters ?? [Options.AdapterName]) Lora.AddAdapter(name, Options.Lora);
        if (Options.Method == PeftMethod.PromptTuning) Prompt = new PromptEmbedding(encoderModel, Options.PromptTuning);
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
    public EncoderInput PrepareInput(EncoderInput input) => Prompt is null ? input : Prompt.Prepend(Encoder, input);

    /// <summary>Per-token states of the real tokens only (B, T, H): drops prompt tuning's virtual positions.</summary>
    public Tensor RealTokenStates(EncoderOutput output) => Prompt is null ? output.LastHiddenState : Prompt.DropVirtualTokens(output.LastHiddenState);

    /// <summary>
    /// Sets requires_grad on every parameter for the method. Call again after changing LoRA adapters (only the active
    /// adapters' matrices train, as PEFT's set_adapter).
    /// </summary>
    public void RefreshTrainable()
    {
        foreach (var (name, p) in Encoder.named_parameters()) p.requires_grad = EncoderParameterTrains(name);
        if (Head is not null) foreach (var p in Head.parameters()) p.requires_grad = true; // every method trains the task head
        if (Prompt is not null) foreach (var p in Prompt.parameters()) p.requires_grad = true;
    }

    /// <summary>Whether an encoder parameter is created by <see cref="Projection"/> (bottleneck adapters): no pretrained checkpoint holds it.</summary>
    public bool IsAddedByProjection(string parameterName) =>
        Options.Method is PeftMethod.Houlsby or PeftMethod.Pfeiffer && parameterName.Contains(".adapter_", StringComparison.Ordinal);

    bool EncoderParameterTrains(string name) => Options.Method switch
    {
        PeftMethod.Full => true,
        PeftMethod.HeadOnly or PeftMethod.PromptTuning => false,
        PeftMethod.BitFit => name.EndsWith(".bias", StringComparison.Ordinal),
        PeftMethod.Houlsby or PeftMethod.Pfeiffer => name.Contains(".adapter_", StringComparison.Ordinal),
        PeftMethod.Lora => LoraParameterTrains(name),
        _ => throw new NotSupportedException(Options.Method.ToString()),
    };

    bool LoraParameterTrains(string name)
    {
        var lora = Options.Lora;
        // Per-task adapters all train (each from its own task's loss), whichever is active.
        foreach (var adapter in TaskAdapters ?? Lora!.ActiveAdapters)
            if (name.Contains($".lora_A.{adapter}.") || name.Contains($".lora_B.{adapter}.")) return true;
        if (name.Contains(".lora_")) return false;
        if (lora.Bias == LoraBias.All && name.EndsWith(".bias", StringComparison.Ordinal)) return true;
        if (lora.Bias == LoraBias.LoraOnly && name.EndsWith(".base_layer.bias", StringComparison.Ordinal)
            && Lora!.Layers.TryGetValue(name[..^".base_layer.bias".Length], out var layer) && layer.Adapters.Count > 0) return true;
        return IsEncoderModuleToSave(name);
    }

    /// <summary>Whether an encoder parameter belongs to a module listed in LoRA's modules_to_save.</summary>
    public bool IsEncoderModuleToSave(string parameterName)
    {
        if (Options.Method != PeftMethod.Lora || Options.Lora.ModulesToSave.Count == 0) return false;
        var parts = StateDictPath(parameterName).Split('.');
        for (int i = parts.Length - 1; i > 0; i--) // every enclosing module path, innermost first
            if (TargetModules.MatchesList(string.Join('.', parts[..i]), Options.Lora.ModulesToSave)) return true;
        return false;
    }

    static string StateDictPath(string name) => name.Replace(".base_layer.", ".");

    /// <summary>Every parameter the optimizer should update (requires_grad = true), encoder first, then prompt, then head.</summary>
    public IReadOnlyList<Parameter> TrainableParameters() => NamedParameters().Where(p => p.Parameter.requires_grad).Select(p => p.Parameter).ToList();

    /// <summary>All parameters by name: encoder names as-is, <c>prompt.*</c>, <c>head.*</c>.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        foreach (var (n, p) in Encoder.named_parameters()) yield return (n, p);
        if (Prompt is not null) foreach (var (n, p) in Prompt.named_parameters()) yield return ("prompt." + n, p);
        if (Head is not null) foreach (var (n, p) in Head.named_parameters()) yield return ("head." + n, p);
    }

    /// <summary>PEFT's trainable-parameter counts (see <see cref="TrainableParameterReport"/> for the modules_to_save rule).</summary>
    public TrainableParameterReport ParameterReport()
    {
        long all = 0, trainable = 0, savedCopies = 0;
        bool peftKeepsOriginals = Options.Method is PeftMethod.Lora or PeftMethod.PromptTuning;
        foreach (var (name, p) in NamedParameters())
        {
            all += p.numel();
            if (p.requires_grad) trainable += p.numel();
            if (peftKeepsOriginals && (name.StartsWith("head.", StringComparison.Ordinal) || IsEncoderModuleToSave(name))) savedCopies += p.numel();
        }
        return new TrainableParameterReport(trainable, all + savedCopies);
    }

    /// <summary>PEFT's task_type for the head: TOKEN_CLS, SEQ_CLS, or null without a head.</summary>
    public string? TaskType => Head switch { null => null, TokenClassifier => "TOKEN_CLS", _ => "SEQ_CLS" };
}
