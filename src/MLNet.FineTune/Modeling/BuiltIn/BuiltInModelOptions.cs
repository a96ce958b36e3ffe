namespace MLNet.FineTune.Modeling;

/// <summary>
/// The small BERT-style model MLNet.FineTune trains from scratch when no pretrained checkpoint folder is given
/// (no pretrained weights can be downloaded at run time). Its WordPiece vocabulary is learnt from the training texts.
/// With a real checkpoint (<see cref="FineTuneOptions.BaseModelFolder"/>) none of this is used.
/// </summary>
public sealed record BuiltInModelOptions
{
    /// <summary>Hidden size. Default 128.</summary>
    public int HiddenSize { get; init; } = 128;
    /// <summary>Transformer blocks. Default 2.</summary>
    public int Layers { get; init; } = 2;
    /// <summary>Attention heads. Default 2.</summary>
    public int AttentionHeads { get; init; } = 2;
    /// <summary>Feed-forward size. Default 512.</summary>
    public int IntermediateSize { get; init; } = 512;
    /// <summary>Largest vocabulary learnt from the training texts (specials, characters, frequent words). Default 8000.</summary>
    public int VocabularySize { get; init; } = 8000;
    /// <summary>Position embeddings. Default 256.</summary>
    public int MaxPositions { get; init; } = 256;
    /// <summary>Dropout on hidden states and attention. Default 0.1.</summary>
    public double Dropout { get; init; } = 0.1;
}
