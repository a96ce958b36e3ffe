namespace MLNet.FineTune.Tokenization;

/// <summary>One token of one sequence before special tokens are added: id, spelling, character span, word index.</summary>
internal readonly record struct TokenPiece(int Id, string Token, int Start, int End, int Word);
