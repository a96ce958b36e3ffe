using System.Text;

namespace MLNet.FineTune.Tokenization;

/// <summary>BERT-style tokenizer: <see cref="BertBasicTokenizer"/> words split into WordPiece sub-words.</summary>
internal sealed class WordPieceTransformerTokenizer(TokenizerSettings settings, WordPieceVocabulary vocabulary, BertBasicTokenizer basic)
    : TransformerTokenizer(settings)
{
    private protected override int BaseVocabSize => vocabulary.Count;

    private protected override int? VocabularyId(string token) => vocabulary.Id(token);

    private protected override string? VocabularyToken(int id) => vocabulary.Token(id);

    private protected override int AppendPieces(string text, int start, int end, int firstWord, List<TokenPiece> output)
    {
        int word = firstWord;
        foreach (var normalized in basic.Split(text, start, end)) vocabulary.Split(normalized, word++, output);
        return word;
    }

    /// <summary>HF BertTokenizer: join with spaces, glue <c>##</c> continuations, trim.</summary>
    private protected override string ConvertTokensToString(IReadOnlyList<string> tokens)
    {
        var joined = new StringBuilder(string.Join(' ', tokens));
        return joined.Replace(" " + vocabulary.ContinuingSubwordPrefix, "").ToString().Trim();
    }
}
