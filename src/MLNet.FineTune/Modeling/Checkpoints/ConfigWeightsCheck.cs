namespace MLNet.FineTune.Modeling.Checkpoints;

/// <summary>
/// Compares a config with the shapes of the weights it will be filled from, before the encoder is built: building
/// allocates whatever the config asks for (a hostile config.json can ask for a 131 TB embedding), so the sizes must be
/// bounded by tensors that really exist in the file. Every encoder weight must be in the checkpoint with its exact
/// shape, so an encoder larger than all the checkpoint's tensors together cannot be right.
/// </summary>
internal static class ConfigWeightsCheck
{
    /// <param name="config">the config about to be built</param>
    /// <param name="shapes">tensor name → shape, from the weight files (headers are enough)</param>
    /// <param name="source">the weights, for messages</param>
    public static void Check(TransformerConfig config, IReadOnlyDictionary<string, long[]> shapes, string source)
    {
        Expect(shapes, "embeddings.word_embeddings.weight", [config.VocabSize, config.HiddenSize], "vocab_size × hidden size", source);
        Expect(shapes, "embeddings.position_embeddings.weight", [config.MaxPositionEmbeddings, config.HiddenSize], "max_position_embeddings × hidden size", source);
        double available = shapes.Values.Sum(s => s.Aggregate(1.0, (a, d) => a * d));
        if (config.MinimumParameters > available)
            throw new CheckpointException($"{source}: the config describes an encoder of at least {config.MinimumParameters:N0} parameters " +
                $"(vocab_size {config.VocabSize}, hidden size {config.HiddenSize}, {config.NumLayers} layers, intermediate size {config.IntermediateSize}), " +
                $"but the weights hold only {available:N0} values. Is config.json from the same checkpoint as the weights?");
    }

    static void Expect(IReadOnlyDictionary<string, long[]> shapes, string suffix, long[] expected, string what, string source)
    {
        foreach (var (name, shape) in shapes)
        {
            if (name != suffix && !name.EndsWith("." + suffix, StringComparison.Ordinal)) continue;
            if (!shape.SequenceEqual(expected))
                throw new CheckpointException($"{source}: the config asks for {what} [{string.Join(", ", expected)}] but the weights' '{name}' is " +
                    $"[{string.Join(", ", shape)}]. Is config.json from the same checkpoint as the weights?");
        }
    }
}
