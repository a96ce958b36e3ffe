namespace MLNet.FineTune.Tokenization;

/// <summary>What every tokenizer kind shares once its folder has been read: model family, special tokens, limits.</summary>
internal sealed record TokenizerSettings(
    string ModelType,
    SpecialTokenTemplate Template,
    IReadOnlyList<AddedToken> AddedTokens,
    int PadTokenId,
    int? EosTokenId,
    int? MaskTokenId,
    int MaxLength,
    bool CleanUpTokenizationSpaces,
    IReadOnlyList<string> SourceFiles);
