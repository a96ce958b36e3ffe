using MLNet.FineTune.Modeling.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft;

/// <summary>What <see cref="LoraAdapterFile.Load"/> did.</summary>
internal sealed record LoadedAdapter(string Name, LoraOptions Options, IReadOnlyList<string> Targets, BaseModelIdentity? RecordedBase, IReadOnlyList<string> Warnings);

/// <summary>
/// LoRA adapters as Hugging Face PEFT saves them: <c>adapter_config.json</c> + <c>adapter_model.safetensors</c>, keys
/// <c>base_model.model.&lt;module path&gt;.lora_A.weight</c> (no adapter name; <c>bert.</c> etc. before the encoder
/// paths when a task head is attached, as PeftModelForSequenceClassification writes), modules_to_save and trained
/// biases under their plain names. The base checkpoint's folder name and weights sha256 are recorded in the
/// safetensors metadata (PEFT ignores it) and checked on load.
/// </summary>
internal static class LoraAdapterFile
{
    public const string WeightsFile = "adapter_model.safetensors";
    public const string MetaBaseName = "mlnet_base_model", MetaBaseSha256 = "mlnet_base_model_sha256";
    const string Root = "base_model.model.";

    /// <summary>
    /// Writes the adapter <paramref name="adapterName"/> (default: the first active one) of a LoRA <see cref="PeftModel"/>.
    /// With per-task adapters (<see cref="PeftOptions.AdapterPerTask"/>) name a task: its adapter and its head are written.
    /// </summary>
    public static void Save(string folder, PeftModel model, BaseModelIdentity? baseModel = null, string? adapterName = null)
    {
        var lora = model.Lora ?? throw new InvalidOperationException($"Only LoRA adapters are saved in PEFT's format; this model uses {model.Options.Method}.");
        var name = adapterName ?? lora.ActiveAdapters.FirstOrDefault() ?? throw new InvalidOperationException("The model has no LoRA adapter to save.");
        if (!lora.Adapters.TryGetValue(name, out var options)) throw new ArgumentException($"No adapter named '{name}'.");
        var targets = lora.TargetsOf(name);
        string prefix = Root + EncoderPrefix(model);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var path in targets)
        {
            tensors[$"{prefix}{path}.lora_A.weight"] = lora.Layers[path].LoraA(name).weight!;
            tensors[$"{prefix}{path}.lora_B.weight"] = lora.Layers[path].LoraB(name).weight!;
        }
        foreach (var (paramName, p) in model.Encoder.named_parameters())
        {
            if (paramName.Contains(".lora_")) continue;
            var plain = paramName.Replace(".base_layer.", ".");
            var module = plain[..plain.LastIndexOf('.')];
            bool wrapped = targets.Contains(module);
            var peftName = wrapped ? $"{module}.base_layer.{plain[(plain.LastIndexOf('.') + 1)..]}" : plain;
            bool bias = plain.EndsWith(".bias", StringComparison.Ordinal)
                && (options.Bias == LoraBias.All || (options.Bias == LoraBias.LoraOnly && wrapped));
            if (bias || model.IsEncoderModuleToSave(paramName)) tensors[prefix + (bias ? peftName : plain)] = p;
        }
        var modulesToSave = options.ModulesToSave.ToList();
        if (model.Head is not null)
        {
            // Per-task adapters: the file holds that task's head only (heads are children named after their task).
            bool taskAdapter = model.TaskAdapters?.Contains(name) == true;
            foreach (var (n, p) in model.Head.named_parameters())
                if (!taskAdapter || n.StartsWith(name + ".", StringComparison.Ordinal)) tensors[Root + n] = p;
            modulesToSave.AddRange(model.Head.named_children().Where(c => c.module.parameters().Any() && (!taskAdapter || c.name == name))
                .Select(c => c.name).Except(modulesToSave));
        }

        var metadata = new Dictionary<string, string>();
        if (baseModel is not null) { metadata[MetaBaseName] = baseModel.Name; metadata[MetaBaseSha256] = baseModel.WeightsSha256; }
        var config = LoraAdapterConfig.ToJson(options, lora.ModelType, targets, model.TaskType, modulesToSave, baseModel?.Name ?? "", EncoderPrefix(model));
        // Both files or neither: a save killed at any point leaves the previous adapter readable.
        AtomicFolderWrite.Write(folder, temp =>
        {
            SafetensorsWriter.Save(Path.Combine(temp, WeightsFile), tensors, metadata);
            File.WriteAllText(Path.Combine(temp, LoraAdapterConfig.FileName), config);
        });
    }

    /// <summary>
    /// Loads a PEFT LoRA adapter folder into a LoRA <see cref="PeftModel"/> (after Attach) as <paramref name="adapterName"/>,
    /// replacing an adapter of that name, and makes it active. Shapes are checked against the base before anything
    /// changes. Biases train as the file's <c>bias</c> says (PEFT's rule), whatever the model was built with; bias
    /// tensors in the file are loaded. A recorded base checkpoint different from <paramref name="actualBase"/> gives a
    /// warning (returned and sent to <paramref name="warn"/>).
    /// </summary>
    public static LoadedAdapter Load(string folder, PeftModel model, string adapterName = "default",
        BaseModelIdentity? actualBase = null, Action<string>? warn = null)
    {
        var lora = model.Lora ?? throw new InvalidOperationException($"A LoRA adapter needs a model built for LoRA; this one uses {model.Options.Method}.");
        AtomicFolderWrite.Recover(folder);
        var options = LoraAdapterConfig.Read(Path.Combine(folder, LoraAdapterConfig.FileName));
        var file = Path.Combine(folder, WeightsFile);
        var reader = SafetensorsReader.Open(file);
        var warnings = new List<string>();
        var recorded = reader.Metadata.TryGetValue(MetaBaseSha256, out var sha)
            ? new BaseModelIdentity(reader.Metadata.GetValueOrDefault(MetaBaseName, ""), sha) : null;
        if (actualBase is not null && recorded is not null && recorded.WeightsSha256 != actualBase.WeightsSha256)
            warnings.Add($"{file} was trained on base '{recorded.Name}' (weights sha256 {recorded.WeightsSha256}) but is being loaded onto '{actualBase.Name}' (sha256 {actualBase.WeightsSha256}); its outputs may be meaningless.");

        var (loraKeys, extraKeys) = Classify(reader, model, file);
        var targets = CheckMatrices(lora, options, reader, loraKeys);
        foreach (var (key, parameter) in extraKeys) CheckShape(file, key, reader.Entries[key].Shape, parameter.shape, "the model's parameter");

        AddMatrices(lora, adapterName, options, reader, loraKeys, targets);
        using (no_grad())
            foreach (var (key, parameter) in extraKeys) { using var value = reader.ReadTensor(key); parameter.copy_(value); }
        model.RefreshTrainable(); // the file's bias setting (now the adapter's own options) decides which biases train
        foreach (var w in warnings) warn?.Invoke(w);
        return new LoadedAdapter(adapterName, options, targets, recorded, warnings);
    }

    static (List<(string Key, string Path, char Matrix)> Lora, List<(string Key, TorchSharp.Modules.Parameter Parameter)> Extra) Classify(
        SafetensorsReader reader, PeftModel model, string file)
    {
        var encoderParams = model.Encoder.named_parameters().Where(p => !p.name.Contains(".lora_"))
            .ToDictionary(p => StateDictLoader.Canonical(p.name), p => p.parameter);
        var headParams = model.Head?.named_parameters().ToDictionary(p => p.name, p => p.parameter) ?? new();
        var typePrefix = model.Encoder.Config.ModelType + ".";
        var lora = new List<(string, string, char)>();
        var extra = new List<(string, TorchSharp.Modules.Parameter)>();
        foreach (var key in reader.Entries.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            if (!key.StartsWith(Root, StringComparison.Ordinal)) throw new CheckpointException($"{file}: key '{key}' does not start with '{Root}'; is this a PEFT adapter file?");
            var name = key[Root.Length..];
            if (headParams.TryGetValue(name, out var headParam)) { extra.Add((key, headParam)); continue; }
            if (name.StartsWith(typePrefix, StringComparison.Ordinal)) name = name[typePrefix.Length..];
            int a = name.IndexOf(".lora_A.", StringComparison.Ordinal), b = name.IndexOf(".lora_B.", StringComparison.Ordinal);
            if (a > 0 || b > 0)
            {
                int at = a > 0 ? a : b;
                if (!name.EndsWith(".weight", StringComparison.Ordinal) || name.Length != at + ".lora_A.weight".Length)
                    throw new CheckpointException($"{file}: unexpected LoRA key '{key}' (expected …lora_A.weight / …lora_B.weight without an adapter name).");
                lora.Add((key, name[..at], a > 0 ? 'A' : 'B'));
            }
            else if (encoderParams.TryGetValue(StateDictLoader.Canonical(name), out var p)) extra.Add((key, p));
            else throw new CheckpointException($"{file}: key '{key}' matches no parameter of the base model or head.");
        }
        return (lora, extra);
    }

    /// <summary>Checks that every LoRA matrix of the file fits its target projection; returns the targets in order.</summary>
    internal static List<string> CheckMatrices(LoraModel lora, LoraOptions options, SafetensorsReader reader, IReadOnlyList<(string Key, string Path, char Matrix)> matrices)
    {
        foreach (var (key, path, matrix) in matrices)
        {
            if (!lora.Layers.TryGetValue(path, out var layer))
                throw new CheckpointException($"{reader.Path}: '{key}' targets module '{path}', which the base model does not have.");
            var expected = matrix == 'A' ? new[] { (long)options.Rank, layer.InFeatures } : new[] { layer.OutFeatures, (long)options.Rank };
            CheckShape(reader.Path, key, reader.Entries[key].Shape, expected, $"{path} (r={options.Rank}, in={layer.InFeatures}, out={layer.OutFeatures})");
        }
        return matrices.Select(k => k.Path).Distinct().ToList();
    }

    /// <summary>(Re)creates adapter <paramref name="adapterName"/> on <paramref name="targets"/>, fills A and B from the file and makes it active.</summary>
    internal static void AddMatrices(LoraModel lora, string adapterName, LoraOptions options, SafetensorsReader reader,
        IReadOnlyList<(string Key, string Path, char Matrix)> matrices, IReadOnlyList<string> targets)
    {
        if (lora.Adapters.ContainsKey(adapterName)) lora.DeleteAdapter(adapterName);
        lora.AddAdapterTo(adapterName, options, targets);
        using (no_grad())
        {
            foreach (var (key, path, matrix) in matrices)
            {
                var layer = lora.Layers[path];
                using var value = reader.ReadTensor(key);
                (matrix == 'A' ? layer.LoraA(adapterName) : layer.LoraB(adapterName)).weight!.copy_(value);
            }
        }
        lora.SetActiveAdapters(adapterName);
    }

    static void CheckShape(string file, string key, long[] actual, long[] expected, string what)
    {
        if (!actual.SequenceEqual(expected))
            throw new CheckpointException($"{file}: '{key}' has shape [{string.Join(",", actual)}] but {what} needs [{string.Join(",", expected)}]; the adapter was made for a different base model.");
    }

    static string EncoderPrefix(PeftModel model) => model.TaskType is null ? "" : model.Encoder.Config.ModelType + ".";
}
