using Microsoft.ML;

namespace MLNet.FineTune;

/// <summary>Entry points on <c>mlContext.Transforms</c>, as dotnet/machinelearning's TorchSharpCatalog: flat arguments with ML.NET's default column names, or Options.</summary>
public static class FineTuneCatalog
{
    /// <summary>Fine-tunes a text classifier (or a sentence-pair classifier when <paramref name="secondTextColumnName"/> is set).</summary>
    /// <param name="catalog">mlContext.Transforms</param>
    /// <param name="labelColumnName">Label: String, Boolean, key or number.</param>
    /// <param name="textColumnName">Input text.</param>
    /// <param name="secondTextColumnName">Optional second text of a pair.</param>
    /// <param name="baseModelFolder">A Hugging Face checkpoint folder; null trains the built-in small model from scratch.</param>
    public static FineTuneEstimator FineTune(this TransformsCatalog catalog, string labelColumnName = "Label", string textColumnName = "Text",
        string? secondTextColumnName = null, string? baseModelFolder = null) =>
        new(GetContext(catalog), new FineTuneOptions { LabelColumnName = labelColumnName, TextColumnName = textColumnName, SecondTextColumnName = secondTextColumnName, BaseModelFolder = baseModelFolder });

    /// <summary>Fine-tunes with every option spelled out (<see cref="FineTuneOptions"/>).</summary>
    public static FineTuneEstimator FineTune(this TransformsCatalog catalog, FineTuneOptions options) => new(GetContext(catalog), options);

    /// <summary>Adds a sentence-embedding column (a known-size Single vector) computed by a pretrained encoder (<see cref="TextEmbeddingOptions"/>).</summary>
    public static TextEmbeddingEstimator TextEmbedding(this TransformsCatalog catalog, TextEmbeddingOptions options) => new(GetContext(catalog), options);

    /// <summary>
    /// Fine-tunes a sentence-embedding encoder contrastively on text pairs with sentence-transformers' losses
    /// (<see cref="EmbeddingFineTuneOptions"/>); the fitted model is a <see cref="TextEmbeddingTransformer"/>.
    /// </summary>
    public static EmbeddingFineTuneEstimator FineTuneEmbeddings(this TransformsCatalog catalog, EmbeddingFineTuneOptions options) => new(GetContext(catalog), options);

    /// <summary>
    /// Fine-tunes a causal language model (a GPT-2 / Llama-family checkpoint with LoRA, or a small decoder from scratch) on
    /// prompt/completion or chat rows (<see cref="TextGenerationFineTuneOptions"/>); the fitted
    /// <see cref="TextGenerationTransformer"/> adds a generated completion for each prompt and is also a chat client.
    /// </summary>
    public static TextGenerationFineTuneEstimator FineTuneTextGeneration(this TransformsCatalog catalog, TextGenerationFineTuneOptions options) => new(GetContext(catalog), options);

    // The catalog's environment (the MLContext) is internal; ML.NET's own catalogs reach it through CatalogUtils the same way.
    static Microsoft.ML.Runtime.IHostEnvironment GetContext(TransformsCatalog catalog) => Microsoft.ML.Data.CatalogUtils.GetEnvironment(catalog);
}
