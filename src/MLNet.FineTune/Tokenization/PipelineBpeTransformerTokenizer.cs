using System.Text;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// The BPE model of a Llama-family <c>tokenizer.json</c> as Hugging Face's Rust <c>tokenizers</c> applies it:
/// <see cref="TokenizerJsonPipeline"/> normalizes and pre-tokenizes each piece of text between added tokens, then every
/// word is merged — SentencePiece style from its characters, a character missing from the vocabulary falling back to
/// its UTF-8 bytes as <c>&lt;0xNN&gt;</c> tokens (<c>byte_fallback</c>) or to the unknown token (consecutive ones fused
/// with <c>fuse_unk</c>); byte-level style from the bytes' printable spellings; a word that is itself in the vocabulary
/// is one token with <c>ignore_merges</c> (Llama-3). One word per pre-tokenized piece. Added tokens marked
/// <c>normalized: true</c> are matched in the normalized text, the others before normalization (as HF does).
/// </summary>
internal sealed class PipelineBpeTransformerTokenizer : TransformerTokenizer
{
    /// <summary>Stands for an unknown character during merging: no merge rule can name it.</summary>
    const string UnknownSymbol = "\0unk";

    readonly Dictionary<string, int> vocab;
    readonly Dictionary<int, string> tokensById = [];
    readonly Dictionary<(string, string), int> ranks;
    readonly TokenizerJsonPipeline pipeline;
    readonly BpeOptions options;
    readonly AddedTokenSplitter normalizedAdded;
    readonly int baseCount;

    /// <summary>The BPE model's switches (tokenizer.json <c>model</c>).</summary>
    public sealed record BpeOptions(int? UnknownId, bool ByteFallback, bool FuseUnknown, bool IgnoreMerges);

    public PipelineBpeTransformerTokenizer(TokenizerSettings settings, Dictionary<string, int> vocab, Dictionary<(string, string), int> ranks,
        TokenizerJsonPipeline pipeline, BpeOptions options) : base(settings)
    {
        this.vocab = vocab;
        foreach (var (token, id) in vocab) tokensById[id] = token;
        this.ranks = ranks;
        this.pipeline = pipeline;
        this.options = options;
        normalizedAdded = new AddedTokenSplitter(settings.AddedTokens.Where(t => t.Normalized));
        baseCount = vocab.Count == 0 ? 0 : Math.Max(vocab.Count, vocab.Values.Max() + 1);
    }

    private protected override int BaseVocabSize => baseCount;

    private protected override int? VocabularyId(string token) => vocab.TryGetValue(token, out int id) ? id : null;

    private protected override string? VocabularyToken(int id) => tokensById.GetValueOrDefault(id);

    private protected override int AppendPieces(string text, int start, int end, int firstWord, List<TokenPiece> output)
    {
        int word = firstWord;
        var normalized = pipeline.Normalize(AlignedText.Of(text, start, end));
        foreach (var segment in normalizedAdded.Split(normalized.Text))
        {
            if (segment.Token is { } added)
            {
                output.Add(new TokenPiece(added.Id, added.Content, normalized.Start[segment.Start], normalized.End[segment.End - 1], word++));
                continue;
            }
            foreach (var piece in pipeline.PreTokenize(normalized.Slice(segment.Start, segment.End)))
            {
                AppendWord(piece, word, output);
                word++;
            }
        }
        return word;
    }

    void AppendWord(AlignedText word, int wordIndex, List<TokenPiece> output)
    {
        var (symbols, starts, ends) = InitialSymbols(word);
        if (symbols.Length == 0) return;
        // HF looks the word up as the model sees it: byte-level spelled, or the normalized text (not its fallback bytes).
        string whole = pipeline.ByteLevel ? string.Concat(symbols) : word.Text;
        if (options.IgnoreMerges && vocab.TryGetValue(whole, out int wholeId))
        {
            output.Add(new TokenPiece(wholeId, whole, starts[0], ends[^1], wordIndex));
            return;
        }
        var merged = ByteLevelBpe.MergeSymbols(symbols, ranks);
        for (int k = 0; k < merged.Count; k++)
        {
            var (symbol, first) = merged[k];
            int last = (k + 1 < merged.Count ? merged[k + 1].First : starts.Length) - 1;
            int id = symbol == UnknownSymbol ? options.UnknownId!.Value
                : vocab.TryGetValue(symbol, out int known) ? known
                : options.UnknownId ?? throw new InvalidOperationException($"BPE piece '{symbol}' is not in the vocabulary and the tokenizer has no unk_token.");
            output.Add(new TokenPiece(id, symbol == UnknownSymbol ? IdToToken(id) ?? symbol : symbol, starts[first], ends[last], wordIndex));
        }
    }

    /// <summary>
    /// The initial symbols of a word, each with the input span of its character: byte-level, one per UTF-8 byte (spelled
    /// in the byte alphabet); SentencePiece-style, one per character, or its <c>&lt;0xNN&gt;</c> bytes, or the unknown token.
    /// </summary>
    (string[] Symbols, int[] Starts, int[] Ends) InitialSymbols(AlignedText word)
    {
        var symbols = new List<string>();
        var starts = new List<int>();
        var ends = new List<int>();
        Span<byte> buffer = stackalloc byte[4];
        for (int i = 0; i < word.Length;)
        {
            var (cp, len) = UnicodeText.CodePointAt(word.Text, i);
            string c = word.Text.Substring(i, len);
            int start = word.Start[i], end = word.End[i + len - 1];
            i += len;
            int n = new Rune(Rune.IsValid(cp) ? cp : 0xFFFD).EncodeToUtf8(buffer);
            if (pipeline.ByteLevel)
            {
                foreach (char b in ByteLevelBpe.ToByteLevel(buffer[..n])) Add(b.ToString());
                continue;
            }
            if (vocab.ContainsKey(c)) { Add(c); continue; }
            if (options.ByteFallback)
            {
                var bytes = new string[n];
                for (int k = 0; k < n; k++) bytes[k] = $"<0x{buffer[k]:X2}>";
                if (bytes.All(vocab.ContainsKey)) { foreach (var b in bytes) Add(b); continue; }
            }
            if (options.UnknownId is null) continue; // HF drops a character it can neither find nor replace
            if (options.FuseUnknown && symbols.Count > 0 && symbols[^1] == UnknownSymbol) { ends[^1] = end; continue; }
            Add(UnknownSymbol);

            void Add(string symbol) { symbols.Add(symbol); starts.Add(start); ends.Add(end); }
        }
        return ([.. symbols], [.. starts], [.. ends]);
    }

    private protected override string ConvertTokensToString(IReadOnlyList<string> tokens) => pipeline.Decode(tokens);
}
