using Microsoft.Extensions.AI;

namespace MLNet.FineTune;

/// <summary>
/// A <see cref="TextEmbeddingTransformer"/> as Microsoft.Extensions.AI's embedding generator. Thread-safe: the scorer
/// keeps no per-call state. <see cref="EmbeddingGenerationOptions.Dimensions"/> below the model's size truncates
/// (Matryoshka) and re-normalises when the model normalises.
/// </summary>
internal sealed class TextEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    readonly TextEmbeddingTransformer model;

    public TextEmbeddingGenerator(TextEmbeddingTransformer model)
    {
        this.model = model;
        Metadata = new EmbeddingGeneratorMetadata("MLNet.FineTune", null, model.ModelId, model.Dimensions);
    }

    public EmbeddingGeneratorMetadata Metadata { get; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.ToList();
        int dimensions = options?.Dimensions ?? model.Dimensions;
        if (dimensions <= 0 || dimensions > model.Dimensions)
            throw new ArgumentOutOfRangeException(nameof(options), dimensions, $"EmbeddingGenerationOptions.Dimensions is {dimensions}; this model gives 1..{model.Dimensions}.");
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        var created = DateTimeOffset.UtcNow;
        foreach (var chunk in texts.Chunk(model.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var vector in model.Scorer.Embed(chunk))
                result.Add(new Embedding<float>(Shorten(vector, dimensions)) { ModelId = model.ModelId, CreatedAt = created });
        }
        return Task.FromResult(result);
    }

    float[] Shorten(float[] vector, int dimensions)
    {
        if (dimensions == vector.Length) return vector;
        var kept = vector[..dimensions];
        if (model.Normalize)
        {
            double norm = Math.Sqrt(kept.Sum(x => (double)x * x));
            if (norm > 1e-12) for (int i = 0; i < kept.Length; i++) kept[i] = (float)(kept[i] / norm);
        }
        return kept;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        if (serviceType.IsInstanceOfType(model)) return model;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>The model belongs to whoever fitted or loaded it.</summary>
    public void Dispose() { }
}
