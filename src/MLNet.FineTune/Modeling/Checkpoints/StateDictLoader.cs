using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Checkpoints;

/// <summary>What loading a checkpoint into a module did: loaded, missing (left at their initial values) and unexpected keys.</summary>
internal sealed record LoadReport(IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected)
{
    public override string ToString() =>
        $"loaded {Loaded.Count} tensors; missing {Missing.Count}{List(Missing)}; unexpected {Unexpected.Count}{List(Unexpected)}";

    static string List(IReadOnlyList<string> keys) =>
        keys.Count == 0 ? "" : " (" + string.Join(", ", keys.Take(12)) + (keys.Count > 12 ? $", … {keys.Count - 12} more" : "") + ")";
}

/// <summary>
/// Copies checkpoint tensors into a module's parameters by Hugging Face name, checking every shape. Names are
/// normalised on both sides: old TF-converted <c>LayerNorm.gamma/beta</c> become <c>weight/bias</c>, and wrapper
/// layers' <c>.base_layer</c> segment (LoRA, adapters) is dropped so a wrapped projection still loads its base weights.
/// </summary>
internal static class StateDictLoader
{
    /// <param name="module">the module to fill</param>
    /// <param name="checkpoint">tensors by checkpoint key</param>
    /// <param name="source">file or folder, for messages</param>
    /// <param name="prefix">checkpoint prefix that belongs to this module (e.g. "bert."), "" for none</param>
    /// <param name="mayBeMissing">module keys allowed to be absent (reported, not thrown)</param>
    public static LoadReport Load(nn.Module module, IReadOnlyDictionary<string, Tensor> checkpoint, string source,
        string prefix = "", Func<string, bool>? mayBeMissing = null)
    {
        var byName = new Dictionary<string, (string Key, Tensor Value)>();
        foreach (var (key, value) in checkpoint)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            byName[Canonical(key[prefix.Length..])] = (key, value);
        }

        var loaded = new List<string>();
        var missing = new List<string>();
        var used = new HashSet<string>();
        using (no_grad())
        {
            foreach (var (name, parameter) in module.named_parameters())
            {
                var canonical = Canonical(name);
                if (!byName.TryGetValue(canonical, out var entry))
                {
                    missing.Add(name);
                    continue;
                }
                if (!entry.Value.shape.SequenceEqual(parameter.shape))
                    throw new CheckpointException($"{source}: shape mismatch for '{entry.Key}': the checkpoint has [{string.Join(",", entry.Value.shape)}], " +
                        $"the model built from config.json expects [{string.Join(",", parameter.shape)}].");
                parameter.copy_(entry.Value);
                loaded.Add(name);
                used.Add(canonical);
            }
        }
        var hardMissing = missing.Where(m => mayBeMissing == null || !mayBeMissing(m)).ToList();
        if (hardMissing.Count > 0)
            throw new CheckpointException($"{source}: {hardMissing.Count} weight(s) the model needs are missing from the checkpoint" +
                (prefix.Length > 0 ? $" (looked under prefix '{prefix}' and without it)" : "") + ": " +
                string.Join(", ", hardMissing.Take(12)) + (hardMissing.Count > 12 ? $", … {hardMissing.Count - 12} more" : "") +
                ". Is config.json from the same checkpoint as the weights?");
        var unexpected = byName.Where(kv => !used.Contains(kv.Key) && !IsIgnorableBuffer(kv.Key)).Select(kv => kv.Value.Key).OrderBy(k => k, StringComparer.Ordinal).ToList();
        return new LoadReport(loaded, missing, unexpected);
    }

    /// <summary>The checkpoint prefix of an architecture's base model inside task checkpoints (BertForSequenceClassification → "bert.").</summary>
    public static string DetectPrefix(IReadOnlyDictionary<string, Tensor> checkpoint, string modelType)
    {
        var prefix = modelType + ".";
        return checkpoint.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal)) ? prefix : "";
    }

    public static string Canonical(string key)
    {
        key = key.Replace(".base_layer.", ".");
        if (key.EndsWith("LayerNorm.gamma", StringComparison.Ordinal)) key = key[..^"gamma".Length] + "weight";
        else if (key.EndsWith("LayerNorm.beta", StringComparison.Ordinal)) key = key[..^"beta".Length] + "bias";
        return key;
    }

    // Non-persistent buffers some transformers versions wrote into checkpoints; recomputed, never learned.
    static bool IsIgnorableBuffer(string key) => key.EndsWith("position_ids", StringComparison.Ordinal);
}
