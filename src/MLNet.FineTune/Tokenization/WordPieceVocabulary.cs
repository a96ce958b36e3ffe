namespace MLNet.FineTune.Tokenization;

/// <summary>
/// A WordPiece vocabulary and HF's greedy longest-match-first sub-word split (<c>WordpieceTokenizer.tokenize</c>):
/// words longer than <see cref="MaxInputCharsPerWord"/> code points, or with a part not in the vocabulary, become the
/// unknown token as a whole.
/// </summary>
internal sealed class WordPieceVocabulary
{
    readonly Dictionary<string, int> idsByToken;
    readonly Dictionary<int, string> tokensById;

    public WordPieceVocabulary(Dictionary<string, int> vocabulary, string unknownToken, string continuingSubwordPrefix = "##",
        int maxInputCharsPerWord = 100)
    {
        idsByToken = vocabulary;
        tokensById = [];
        foreach (var (token, id) in vocabulary) tokensById[id] = token;
        UnknownToken = unknownToken;
        ContinuingSubwordPrefix = continuingSubwordPrefix;
        MaxInputCharsPerWord = maxInputCharsPerWord;
    }

    public string UnknownToken { get; }
    public string ContinuingSubwordPrefix { get; }
    public int MaxInputCharsPerWord { get; }
    public int Count => idsByToken.Count == 0 ? 0 : Math.Max(idsByToken.Count, idsByToken.Values.Max() + 1);

    /// <summary>Reads vocab.txt like HF <c>load_vocab</c>: one token per line, id = line number, later duplicates win.</summary>
    public static Dictionary<string, int> ReadVocabTxt(string text, string path)
    {
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        int index = 0;
        using var reader = new StringReader(text); // line breaks as File.ReadLines: \n, \r\n or \r
        for (var line = reader.ReadLine(); line != null; line = reader.ReadLine()) vocabulary[line] = index++;
        if (vocabulary.Count == 0) throw new FormatException($"WordPiece vocabulary '{path}' is empty.");
        return vocabulary;
    }

    public int? Id(string token) => idsByToken.TryGetValue(token, out int id) ? id : null;

    public string? Token(int id) => tokensById.GetValueOrDefault(id);

    /// <summary>Appends the sub-word pieces of one normalized word, with offsets taken from the word's character map.</summary>
    public void Split(NormalizedWord word, int wordIndex, List<TokenPiece> output)
    {
        var text = word.Text;
        var starts = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length; i += UnicodeText.CodePointAt(text, i).Length) starts.Add(i);
        starts.Add(text.Length);
        int codePoints = starts.Count - 1;

        int firstPiece = output.Count;
        if (codePoints <= MaxInputCharsPerWord)
        {
            for (int s = 0; s < codePoints;)
            {
                int e = codePoints;
                int? id = null;
                string piece = "";
                for (; e > s; e--)
                {
                    piece = text[starts[s]..starts[e]];
                    if (s > 0) piece = ContinuingSubwordPrefix + piece;
                    if ((id = Id(piece)) != null) break;
                }
                if (id == null) { output.RemoveRange(firstPiece, output.Count - firstPiece); break; }
                output.Add(new TokenPiece(id.Value, piece, word.CharStart[starts[s]], word.CharEnd[starts[e] - 1], wordIndex));
                s = e;
            }
            if (output.Count > firstPiece) return;
        }
        int unknownId = Id(UnknownToken) ?? throw new InvalidOperationException($"The unknown token '{UnknownToken}' is not in the vocabulary.");
        output.Add(new TokenPiece(unknownId, UnknownToken, word.CharStart[0], word.CharEnd[^1], wordIndex));
    }
}
