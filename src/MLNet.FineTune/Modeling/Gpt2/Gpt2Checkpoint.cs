using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Gpt2;

/// <summary>
/// GPT-2's checkpoint layout versus the module's: Conv1D weights are stored [in, out] and held transposed ([out, in],
/// as nn.Linear); checkpoints of a bare GPT2Model (the original <c>gpt2</c> upload) lack the <c>transformer.</c> prefix.
/// </summary>
internal static class Gpt2Checkpoint
{
    const string Prefix = "transformer.";

    /// <summary>Whether a checkpoint key (with or without <c>transformer.</c>) is a Conv1D weight.</summary>
    public static bool IsConv1DWeight(string key) =>
        key.EndsWith(".attn.c_attn.weight", StringComparison.Ordinal) || key.EndsWith(".attn.c_proj.weight", StringComparison.Ordinal)
        || key.EndsWith(".mlp.c_fc.weight", StringComparison.Ordinal) || key.EndsWith(".mlp.c_proj.weight", StringComparison.Ordinal)
        || key.EndsWith(".attn.q_attn.weight", StringComparison.Ordinal);

    /// <summary>Checkpoint tensors → module layout (new tensors for the transposed ones; the others are passed through).</summary>
    public static Dictionary<string, Tensor> ToModuleLayout(IReadOnlyDictionary<string, Tensor> checkpoint)
    {
        bool prefixed = checkpoint.Keys.Any(k => k.StartsWith(Prefix, StringComparison.Ordinal));
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, value) in checkpoint)
        {
            var name = prefixed || key.StartsWith("lm_head.", StringComparison.Ordinal) ? key : Prefix + key;
            result[name] = IsConv1DWeight(name) ? value.t().contiguous() : value;
        }
        return result;
    }

    /// <summary>Module parameters → the checkpoint layout transformers writes (Conv1D weights back to [in, out]).</summary>
    public static Dictionary<string, Tensor> ToCheckpointLayout(IEnumerable<(string Name, Tensor Value)> parameters) =>
        parameters.ToDictionary(p => p.Name, p => IsConv1DWeight(p.Name) ? p.Value.detach().t().contiguous() : p.Value.detach());
}
