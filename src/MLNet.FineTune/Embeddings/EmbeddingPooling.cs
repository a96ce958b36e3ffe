namespace MLNet.FineTune.Embeddings;

/// <summary>How token states become one sentence vector (sentence-transformers' pooling modes). Padding never counts.</summary>
public enum EmbeddingPooling
{
    /// <summary>Average of the real tokens' states (all-MiniLM-L6-v2).</summary>
    Mean,
    /// <summary>The first ([CLS]) token's state (snowflake-arctic-embed).</summary>
    Cls,
    /// <summary>Per dimension, the largest state over the real tokens.</summary>
    Max,
}
