using System.Text;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// GPT-2 / RoBERTa tokenizer: GPT-2 pre-tokenization, byte-level BPE per chunk. Offsets are the characters whose
/// UTF-8 bytes a token covers (a token holding part of a multi-byte character spans that whole character).
/// </summary>
internal sealed class ByteLevelBpeTransformerTokenizer(TokenizerSettings settings, ByteLevelBpe bpe, string unknownToken, bool addPrefixSpace)
    : TransformerTokenizer(settings)
{
    private protected override int BaseVocabSize => bpe.Count;

    private protected override int? VocabularyId(string token) => bpe.Id(token);

    private protected override string? VocabularyToken(int id) => bpe.Token(id);

    private protected override bool AddsPrefixSpace(bool forWord) => addPrefixSpace || forWord;

    private protected override int AppendPieces(string text, int start, int end, int firstWord, List<TokenPiece> output)
    {
        int word = firstWord;
        foreach (var (chunkStart, chunkEnd) in Gpt2PreTokenizer.Split(text, start, end))
        {
            var (bytes, byteStart, byteEnd) = Utf8WithCharSpans(text, chunkStart, chunkEnd);
            int b = 0;
            foreach (var piece in bpe.Merge(ByteLevelBpe.ToByteLevel(bytes)))
            {
                int id = bpe.Id(piece) ?? TokenToId(unknownToken)
                    ?? throw new InvalidOperationException($"BPE piece '{piece}' and the unknown token '{unknownToken}' are both missing from the vocabulary.");
                output.Add(new TokenPiece(id, piece, byteStart[b], byteEnd[b + piece.Length - 1], word));
                b += piece.Length;
            }
            word++;
        }
        return word;
    }

    /// <summary>UTF-8 bytes of text[start, end) and, per byte, the character span it belongs to.</summary>
    static (byte[] Bytes, int[] Start, int[] End) Utf8WithCharSpans(string text, int start, int end)
    {
        var bytes = new List<byte>();
        var starts = new List<int>();
        var ends = new List<int>();
        Span<byte> buffer = stackalloc byte[4];
        for (int i = start; i < end;)
        {
            var (cp, len) = UnicodeText.CodePointAt(text, i);
            int n = new Rune(Rune.IsValid(cp) ? cp : 0xFFFD).EncodeToUtf8(buffer);
            for (int k = 0; k < n; k++) { bytes.Add(buffer[k]); starts.Add(i); ends.Add(i + len); }
            i += len;
        }
        return ([.. bytes], [.. starts], [.. ends]);
    }

    private protected override string ConvertTokensToString(IReadOnlyList<string> tokens) => ByteLevelBpe.FromByteLevel(tokens);
}
