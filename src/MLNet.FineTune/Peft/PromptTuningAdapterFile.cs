using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft;

/// <summary>What <see cref="PromptTuningAdapterFile.Load"/> read. <paramref name="OtherKeys"/>: tensors beside the prompt
/// (PEFT saves a SEQ_CLS/TOKEN_CLS head as modules_to_save there), not loaded; read them with <see cref="SafetensorsReader"/>.</summary>
internal sealed record LoadedPromptAdapter(PromptTuningOptions Options, int TokenDim, string? TaskType, Tensor Weights, IReadOnlyList<string> OtherKeys);

/// <summary>
/// Prompt-tuning adapters as Hugging Face PEFT saves them: <c>adapter_config.json</c> (peft_type PROMPT_TUNING,
/// num_virtual_tokens, token_dim, task_type…) and <c>adapter_model.safetensors</c> holding <c>prompt_embeddings</c>
/// of shape (num_virtual_tokens, token_dim): the virtual tokens' embeddings (PEFT's prompt_encoder embedding.weight).
/// </summary>
internal static class PromptTuningAdapterFile
{
    public const string WeightsFile = LoraAdapterFile.WeightsFile;
    public const string PromptKey = "prompt_embeddings";

    /// <summary>Writes <paramref name="prompt"/>; <paramref name="config"/> fills PEFT's num_layers / num_attention_heads (null without it).</summary>
    /// <param name="folder">Created if missing.</param>
    /// <param name="prompt">The learned virtual tokens.</param>
    /// <param name="config">The encoder's config (model_type picks PEFT's auto_mapping when there is no task type).</param>
    /// <param name="taskType">PEFT's task_type (SEQ_CLS, TOKEN_CLS) or null for a bare encoder.</param>
    /// <param name="baseModelName">Written as base_model_name_or_path.</param>
    public static void Save(string folder, PromptEmbedding prompt, TransformerConfig? config = null, string? taskType = null, string baseModelName = "")
    {
        var weight = prompt.Weight;
        var header = new PromptTuningAdapterConfig
        {
            NumVirtualTokens = prompt.NumVirtualTokens, TokenDim = (int)weight.size(1), TaskType = taskType,
            NumLayers = config?.NumLayers, NumAttentionHeads = config?.NumHeads, BaseModelName = baseModelName,
        };
        var json = header.ToJson(config?.ModelType ?? "bert");
        // Both files or neither: a save killed at any point leaves the previous adapter readable.
        AtomicFolderWrite.Write(folder, temp =>
        {
            SafetensorsWriter.Save(Path.Combine(temp, WeightsFile), new Dictionary<string, Tensor> { [PromptKey] = weight });
            File.WriteAllText(Path.Combine(temp, LoraAdapterConfig.FileName), json);
        });
    }

    /// <summary>Reads the config and the (N, D) prompt, float32 on the CPU, checking the shape against the config.</summary>
    public static LoadedPromptAdapter Load(string folder)
    {
        AtomicFolderWrite.Recover(folder);
        var header = PromptTuningAdapterConfig.Read(Path.Combine(folder, LoraAdapterConfig.FileName));
        var file = Path.Combine(folder, WeightsFile);
        var reader = SafetensorsReader.Open(file);
        if (!reader.Entries.TryGetValue(PromptKey, out var entry))
            throw new CheckpointException($"{file}: no '{PromptKey}' tensor (found: {string.Join(", ", reader.Entries.Keys.Take(8))}); is this a PEFT prompt-tuning adapter?");
        long[] expected = { header.NumVirtualTokens, header.TokenDim };
        if (!entry.Shape.SequenceEqual(expected))
            throw new CheckpointException($"{file}: '{PromptKey}' has shape [{string.Join(",", entry.Shape)}] but adapter_config.json " +
                $"(num_virtual_tokens {header.NumVirtualTokens}, token_dim {header.TokenDim}) needs [{string.Join(",", expected)}].");
        var others = reader.Entries.Keys.Where(k => k != PromptKey).OrderBy(k => k, StringComparer.Ordinal).ToList();
        return new LoadedPromptAdapter(new PromptTuningOptions { NumVirtualTokens = header.NumVirtualTokens }, header.TokenDim,
            header.TaskType, reader.ReadTensor(PromptKey), others);
    }

    /// <summary>Loads the file's prompt into <paramref name="prompt"/> (same N and hidden size, else nothing changes).</summary>
    public static LoadedPromptAdapter LoadInto(string folder, PromptEmbedding prompt)
    {
        var loaded = Load(folder);
        using var value = loaded.Weights;
        if (!value.shape.SequenceEqual(prompt.Weight.shape))
            throw new CheckpointException($"{Path.Combine(folder, WeightsFile)}: '{PromptKey}' is [{string.Join(",", value.shape)}] but the model's prompt " +
                $"is [{string.Join(",", prompt.Weight.shape)}] (virtual tokens, hidden size); build it with NumVirtualTokens = {value.size(0)} on an encoder of hidden size {value.size(1)}.");
        using (no_grad()) prompt.Weight.copy_(value);
        return loaded with { Weights = prompt.Weight };
    }
}
