namespace MLNet.FineTune;

/// <summary>
/// A causal LM trained from random weights (no pretrained checkpoint): its shape, and the tokenizer it uses. The
/// defaults are a small GPT-2 (4 layers, hidden 128, 4 heads, 256 positions, ~0.8M parameters with the byte-level
/// tokenizer) that learns structured tasks (normalising dates, short JSON) in minutes on a CPU.
/// </summary>
public sealed record ScratchDecoderOptions
{
    /// <summary><c>gpt2</c> (learned positions, LayerNorm, GELU, tied head) or <c>llama</c> (rotary positions, RMSNorm, SwiGLU). Default "gpt2".</summary>
    public string ModelType { get; init; } = "gpt2";

    /// <summary>Hidden size. Default 128.</summary>
    public int HiddenSize { get; init; } = 128;

    /// <summary>Transformer blocks. Default 4.</summary>
    public int NumLayers { get; init; } = 4;

    /// <summary>Attention heads (must divide <see cref="HiddenSize"/>). Default 4.</summary>
    public int NumHeads { get; init; } = 4;

    /// <summary>Llama only: key/value heads for grouped-query attention (must divide <see cref="NumHeads"/>). Null: <see cref="NumHeads"/>.</summary>
    public int? NumKeyValueHeads { get; init; }

    /// <summary>Inner size of each block's MLP. Null: 4 × <see cref="HiddenSize"/> (GPT-2's rule; also used for Llama).</summary>
    public int? IntermediateSize { get; init; }

    /// <summary>Longest sequence (prompt + completion, in tokens). Default 256.</summary>
    public int MaxPositions { get; init; } = 256;

    /// <summary>Dropout on embeddings, attention and residuals while training. Default 0 (small data sets with many epochs may want 0.1).</summary>
    public double Dropout { get; init; }

    /// <summary>
    /// A folder with the tokenizer files to use (vocab.json + merges.txt, tokenizer.json, …; no weights needed). Null
    /// (default): a byte-level tokenizer built in memory — every UTF-8 byte is one token, plus
    /// <c>&lt;|endoftext|&gt;</c> — which needs no training data and never meets an unknown character.
    /// </summary>
    public string? TokenizerFolder { get; init; }
}
