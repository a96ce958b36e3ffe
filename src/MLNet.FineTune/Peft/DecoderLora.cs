using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Decoding;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft;

/// <summary>
/// LoRA on a causal LM, as PEFT's <c>get_peft_model(model, LoraConfig(task_type="CAUSAL_LM"))</c>. Use in three steps:
/// <code>
/// var lora = new DecoderLora(config.ModelType);
/// var model = PretrainedDecoder.Load(folder, lora.Projection).Model;   // every projection is wrapped (pass-through)
/// lora.Attach(model); lora.AddAdapter("default", options);            // or LoadAdapter(folder): freezes the base
/// </code>
/// Adapter files are PEFT's (<see cref="LoraAdapterFile"/> holds the encoder side): keys
/// <c>base_model.model.&lt;checkpoint path&gt;.lora_{A,B}.weight</c>, A [r, in] and B [out, r] for GPT-2's Conv1D
/// projections too (PEFT's <c>fan_in_fan_out</c>, written true for GPT-2 as PEFT does), since the model holds those
/// weights as [out, in] already.
/// </summary>
internal sealed class DecoderLora
{
    const string Root = "base_model.model.";
    ICausalLanguageModel? model;

    public DecoderLora(string modelType) => Lora = new LoraModel(modelType);

    /// <summary>The adapters and wrapped projections.</summary>
    public LoraModel Lora { get; }
    /// <summary>Build the decoder through this.</summary>
    public DecoderProjectionFactory Projection => Lora.DecoderProjection;
    public ICausalLanguageModel Model => model ?? throw new InvalidOperationException("Call Attach(model) first.");
    bool FanInFanOut => Model.Config.Family == DecoderFamily.Gpt2;

    public void Attach(ICausalLanguageModel decoder)
    {
        if (model is not null) throw new InvalidOperationException("Attach was already called.");
        model = decoder;
        RefreshTrainable();
    }

    /// <summary>Adds a fresh adapter (B = 0) on the options' targets and makes only the active adapters' matrices train.</summary>
    public IReadOnlyList<string> AddAdapter(string name, LoraOptions options)
    {
        CheckSupported(options, "LoraOptions");
        var targets = Lora.AddAdapter(name, options);
        RefreshTrainable();
        return targets;
    }

    /// <summary>requires_grad for the active adapters' A and B only (PEFT freezes the whole base).</summary>
    public void RefreshTrainable()
    {
        foreach (var (name, p) in Model.Module.named_parameters())
            p.requires_grad = Lora.ActiveAdapters.Any(a => name.EndsWith($".lora_A.{a}.weight", StringComparison.Ordinal) || name.EndsWith($".lora_B.{a}.weight", StringComparison.Ordinal));
    }

    /// <summary>Trainable parameters by PEFT's names (<c>base_model.model.….lora_A.default.weight</c>), in module order.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters() =>
        Model.Module.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (Root + p.name.Replace(".base_layer.", "."), p.parameter)).ToList();

    /// <summary>PEFT's get_nb_trainable_parameters: the tied GPT-2 embedding is one parameter, counted once.</summary>
    public TrainableParameterReport ParameterReport()
    {
        long all = 0, trainable = 0;
        foreach (var (_, p) in Model.Module.named_parameters())
        {
            all += p.numel();
            if (p.requires_grad) trainable += p.numel();
        }
        return new TrainableParameterReport(trainable, all);
    }

    /// <summary>Loads a PEFT LoRA folder as <paramref name="adapterName"/> (replacing one of that name) and makes it active.</summary>
    public IReadOnlyList<string> LoadAdapter(string folder, string adapterName = "default")
    {
        AtomicFolderWrite.Recover(folder);
        var configPath = Path.Combine(folder, LoraAdapterConfig.FileName);
        var options = LoraAdapterConfig.Read(configPath, allowFanInFanOut: true);
        CheckSupported(options, configPath);
        var file = Path.Combine(folder, LoraAdapterFile.WeightsFile);
        var reader = SafetensorsReader.Open(file);
        var entries = new List<(string Key, string Path, char Matrix)>();
        foreach (var key in reader.Entries.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            if (!key.StartsWith(Root, StringComparison.Ordinal)) throw new CheckpointException($"{file}: key '{key}' does not start with '{Root}'; is this a PEFT adapter file?");
            var name = key[Root.Length..];
            char matrix = name.EndsWith(".lora_A.weight", StringComparison.Ordinal) ? 'A' : name.EndsWith(".lora_B.weight", StringComparison.Ordinal) ? 'B' : '?';
            if (matrix == '?')
                throw new CheckpointException($"{file}: key '{key}' is not a LoRA matrix (…lora_A.weight / …lora_B.weight); trained biases and modules_to_save are not supported for decoders yet.");
            entries.Add((key, name[..^".lora_A.weight".Length], matrix));
        }
        if (entries.Count == 0) throw new CheckpointException($"{file}: no LoRA matrices found.");
        var targets = LoraAdapterFile.CheckMatrices(Lora, options, reader, entries);
        LoraAdapterFile.AddMatrices(Lora, adapterName, options, reader, entries, targets);
        RefreshTrainable();
        return targets;
    }

    /// <summary>Writes adapter <paramref name="adapterName"/> (default: the first active) in PEFT's format, atomically.</summary>
    public void SaveAdapter(string folder, string? adapterName = null, string baseModelName = "")
    {
        var name = adapterName ?? Lora.ActiveAdapters.FirstOrDefault() ?? throw new InvalidOperationException("The model has no LoRA adapter to save.");
        if (!Lora.Adapters.TryGetValue(name, out var options)) throw new ArgumentException($"No adapter named '{name}'.");
        var targets = Lora.TargetsOf(name);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var path in targets)
        {
            tensors[$"{Root}{path}.lora_A.weight"] = Lora.Layers[path].LoraA(name).weight!;
            tensors[$"{Root}{path}.lora_B.weight"] = Lora.Layers[path].LoraB(name).weight!;
        }
        var config = LoraAdapterConfig.ToJson(options, Lora.ModelType, targets, "CAUSAL_LM", [], baseModelName, "", FanInFanOut);
        AtomicFolderWrite.Write(folder, temp =>
        {
            SafetensorsWriter.Save(Path.Combine(temp, LoraAdapterFile.WeightsFile), tensors);
            File.WriteAllText(Path.Combine(temp, LoraAdapterConfig.FileName), config);
        });
    }

    /// <summary>Merges the active adapters into the base weights and drops every adapter (PEFT's merge_and_unload).</summary>
    public void MergeAndUnload() => Lora.MergeAndUnload();

    /// <summary>The base weights under checkpoint names and layout (GPT-2 Conv1D [in, out]), without adapters: a plain checkpoint.</summary>
    public Dictionary<string, Tensor> PlainStateDict() =>
        DecoderFactory.ToCheckpointLayout(Model, Model.Module.named_parameters().Where(p => !p.name.Contains(".lora_")).Select(p => (p.name.Replace(".base_layer.", "."), (Tensor)p.parameter)));

    static void CheckSupported(LoraOptions options, string source)
    {
        if (options.Bias != LoraBias.None) throw new NotSupportedException($"{source}: bias '{options.Bias}' is not supported for decoder LoRA yet; use bias \"none\".");
        if (options.ModulesToSave.Count > 0) throw new NotSupportedException($"{source}: modules_to_save ({string.Join(", ", options.ModulesToSave)}) is not supported for decoder LoRA yet.");
    }
}
