using System.Text;
using Microsoft.ML.Tokenizers;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// SentencePiece models (<c>*.model</c>) through Microsoft.ML.Tokenizers' <see cref="SentencePieceTokenizer"/>.
/// Not checked against Hugging Face outputs (no SentencePiece reference exists yet). Offsets are found by aligning
/// piece text with the original, assuming normalization only escapes whitespace; a new word starts at each <c>▁</c>.
/// </summary>
internal sealed class SentencePieceTransformerTokenizer : TransformerTokenizer
{
    const char WordBoundary = '\u2581';
    readonly SentencePieceTokenizer model;
    readonly Dictionary<int, string> tokensById;

    public SentencePieceTransformerTokenizer(TokenizerSettings settings, SentencePieceTokenizer model) : base(settings)
    {
        this.model = model;
        tokensById = model.Vocabulary.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.First().Key);
    }

    public static SentencePieceTokenizer Load(byte[] model, string path)
    {
        try
        {
            using var stream = new MemoryStream(model, writable: false);
            return SentencePieceTokenizer.Create(stream, false, false);
        }
        catch (Exception e) when (e is not IOException and not UnauthorizedAccessException)
        {
            throw new FormatException($"'{path}' is not a SentencePiece model Microsoft.ML.Tokenizers can read: {e.Message}", e);
        }
    }

    private protected override int BaseVocabSize => tokensById.Count == 0 ? 0 : tokensById.Keys.Max() + 1;

    private protected override int? VocabularyId(string token) => model.Vocabulary.TryGetValue(token, out int id) ? id : null;

    private protected override string? VocabularyToken(int id) => tokensById.GetValueOrDefault(id);

    private protected override int AppendPieces(string text, int start, int end, int firstWord, List<TokenPiece> output)
    {
        var tokens = model.EncodeToTokens(text[start..end], out _, addBeginningOfSentence: false, addEndOfSentence: false);
        int word = firstWord - 1, cursor = start;
        foreach (var token in tokens)
        {
            bool startsWord = token.Value.Length > 0 && token.Value[0] == WordBoundary;
            if (startsWord || word < firstWord) word++;
            var visible = token.Value.TrimStart(WordBoundary).Replace(WordBoundary, ' ');
            if (startsWord) while (cursor < end && char.IsWhiteSpace(text[cursor])) cursor++;
            int pieceStart = cursor;
            cursor = Math.Min(end, cursor + visible.Length);
            output.Add(new TokenPiece(token.Id, token.Value, pieceStart, cursor, word));
        }
        return word + 1;
    }

    private protected override string ConvertTokensToString(IReadOnlyList<string> tokens)
    {
        var text = new StringBuilder();
        foreach (var token in tokens) text.Append(token);
        return text.Replace(WordBoundary, ' ').ToString().TrimStart(' ');
    }
}
