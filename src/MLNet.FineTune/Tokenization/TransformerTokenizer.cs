namespace MLNet.FineTune.Tokenization;

/// <summary>
/// Hugging Face-compatible tokenizer for transformer checkpoints (BERT, DistilBERT, RoBERTa, GPT-2), read from a
/// checkpoint folder with <see cref="FromFolder"/>. Produces the same ids as the Hugging Face slow tokenizers, plus
/// word ids, sequence ids and character offsets for span tasks. Any .NET string is accepted (an unpaired surrogate is
/// read as U+FFFD, as Hugging Face's tokenizers read it). Safe to share between threads.
/// </summary>
// Public in MLNet.FineTune; internal where MLNet.FineTune.Onnx compiles this file in (one public type per name across both packages).
#if MLNET_FINETUNE_ONNX
internal
#else
public
#endif
abstract partial class TransformerTokenizer
{
    readonly TokenizerSettings settings;
    readonly AddedTokenSplitter splitter;
    readonly Dictionary<int, AddedToken> addedById;
    readonly HashSet<int> specialIds;

    private protected TransformerTokenizer(TokenizerSettings settings)
    {
        this.settings = settings;
        splitter = new AddedTokenSplitter(settings.AddedTokens.Where(t => !t.Normalized));
        addedById = settings.AddedTokens.GroupBy(t => t.Id).ToDictionary(g => g.Key, g => g.First());
        specialIds = [.. settings.AddedTokens.Where(t => t.Special).Select(t => t.Id)];
    }

    /// <summary>Model family: <c>bert</c>, <c>distilbert</c>, <c>roberta</c>, <c>gpt2</c>, ... (config.json <c>model_type</c>).</summary>
    public string ModelType => settings.ModelType;

    /// <summary>Id used for padding; falls back to the end-of-text token (GPT-2 has no pad token) and then to the unknown token.</summary>
    public int PadTokenId => settings.PadTokenId;

    /// <summary>End-of-sequence token id (<c>[SEP]</c>-less models such as GPT-2 use it), or null.</summary>
    public int? EosTokenId => settings.EosTokenId;

    /// <summary>Mask token id for masked-language-model training, or null.</summary>
    public int? MaskTokenId => settings.MaskTokenId;

    /// <summary>Number of token ids: one more than the largest id of the vocabulary and the added tokens (HF <c>len(tokenizer)</c>).</summary>
    public int VocabSize => Math.Max(BaseVocabSize, settings.AddedTokens.Count == 0 ? 0 : settings.AddedTokens.Max(t => t.Id) + 1);

    /// <summary>The model's maximum sequence length (tokenizer_config <c>model_max_length</c>, else config.json positions, else 512).</summary>
    public int MaxLength => settings.MaxLength;

    /// <summary>Full paths of the files this tokenizer was read from (copy them to persist it).</summary>
    public IReadOnlyList<string> SourceFiles => settings.SourceFiles;

    /// <summary>
    /// Encodes a text (or a text pair) like Hugging Face <c>tokenizer(text, text_pair, truncation=..., max_length=...)</c>:
    /// tokenize, truncate to <paramref name="maxLength"/> including special tokens, then add the special tokens.
    /// </summary>
    /// <exception cref="ArgumentException">OnlySecond without a pair, or the input cannot be cut down to maxLength.</exception>
    public EncodedInput Encode(string text, string? textPair = null, int maxLength = 512,
        TruncationStrategy truncation = TruncationStrategy.LongestFirst, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = TokenizeSequence(text, forWord: false, wordIndex: null);
        var second = textPair == null ? null : TokenizeSequence(textPair, forWord: false, wordIndex: null);
        return SequenceAssembler.Assemble(this, first, second, maxLength, truncation, addSpecialTokens);
    }

    /// <summary>
    /// Encodes pre-split words (HF <c>is_split_into_words=True</c>): each word is tokenized on its own (byte-level BPE
    /// gives it a leading space) and <see cref="EncodedInput.WordIds"/> index <paramref name="words"/> (and
    /// <paramref name="pairWords"/>, counted from 0). Offsets are relative to each word.
    /// </summary>
    public EncodedInput EncodeWords(IReadOnlyList<string> words, IReadOnlyList<string>? pairWords = null, int maxLength = 512,
        TruncationStrategy truncation = TruncationStrategy.LongestFirst, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(words);
        var first = TokenizeWords(words);
        var second = pairWords == null ? null : TokenizeWords(pairWords);
        return SequenceAssembler.Assemble(this, first, second, maxLength, truncation, addSpecialTokens);
    }

    /// <summary>
    /// Encodes several texts (and optional pairs, one per text, null entries allowed) and right-pads all of them to the
    /// longest with <see cref="PadTokenId"/> (attention mask 0, token type 0, word/sequence id null, offsets (0, 0)).
    /// </summary>
    public EncodedInput[] EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string?>? textPairs = null, int maxLength = 512,
        TruncationStrategy truncation = TruncationStrategy.LongestFirst, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (textPairs != null && textPairs.Count != texts.Count)
            throw new ArgumentException($"textPairs has {textPairs.Count} entries but texts has {texts.Count}; give one pair (or null) per text.", nameof(textPairs));
        var encoded = new EncodedInput[texts.Count];
        for (int i = 0; i < texts.Count; i++)
            encoded[i] = Encode(texts[i], textPairs?[i], maxLength, truncation, addSpecialTokens);
        int longest = encoded.Length == 0 ? 0 : encoded.Max(e => e.Length);
        string padToken = IdToToken(PadTokenId) ?? "";
        return [.. encoded.Select(e => SequenceAssembler.PadRight(e, longest, PadTokenId, padToken))];
    }

    /// <summary>Token strings of <paramref name="text"/> without special tokens (HF <c>tokenizer.tokenize</c>).</summary>
    public IReadOnlyList<string> Tokenize(string text) =>
        [.. TokenizeSequence(text ?? throw new ArgumentNullException(nameof(text)), forWord: false, wordIndex: null).Select(p => p.Token)];

    /// <summary>
    /// Turns ids back into text like HF <c>decode</c> (WordPiece joins <c>##</c> pieces, byte-level BPE restores the
    /// bytes) and, when the checkpoint asks for it, applies <c>clean_up_tokenization_spaces</c>.
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out special tokens such as <c>[CLS]</c>, <c>[PAD]</c>, <c>&lt;|endoftext|&gt;</c>.</param>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && specialIds.Contains(id)) continue;
            tokens.Add(IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in the vocabulary (0..{VocabSize - 1})."));
        }
        var text = ConvertTokensToString(tokens);
        return settings.CleanUpTokenizationSpaces ? CleanUpTokenizationSpaces(text) : text;
    }

    /// <summary>Id of a token string (vocabulary or added token), or null.</summary>
    public int? TokenToId(string token)
    {
        foreach (var added in settings.AddedTokens) if (added.Content == token) return added.Id;
        return VocabularyId(token);
    }

    /// <summary>Token string of an id (vocabulary or added token), or null.</summary>
    public string? IdToToken(int id) => addedById.TryGetValue(id, out var added) ? added.Content : VocabularyToken(id);

    internal SpecialTokenTemplate Template => settings.Template;

    /// <summary>Size of the sub-word vocabulary file, without added tokens.</summary>
    private protected abstract int BaseVocabSize { get; }

    private protected abstract int? VocabularyId(string token);

    private protected abstract string? VocabularyToken(int id);

    /// <summary>
    /// Appends the tokens of plain text <paramref name="text"/>[start, end) (no added tokens inside) to
    /// <paramref name="output"/>, numbering words from <paramref name="firstWord"/>; returns the next word number.
    /// </summary>
    private protected abstract int AppendPieces(string text, int start, int end, int firstWord, List<TokenPiece> output);

    /// <summary>Joins token strings into text (HF <c>convert_tokens_to_string</c>).</summary>
    private protected abstract string ConvertTokensToString(IReadOnlyList<string> tokens);

    /// <summary>Whether a space is put before the text (byte-level BPE with <c>add_prefix_space</c>, and pre-split words).</summary>
    private protected virtual bool AddsPrefixSpace(bool forWord) => false;

    List<TokenPiece> TokenizeWords(IReadOnlyList<string> words)
    {
        var pieces = new List<TokenPiece>();
        for (int w = 0; w < words.Count; w++)
            pieces.AddRange(TokenizeSequence(words[w] ?? throw new ArgumentException($"Word {w} is null.", nameof(words)), forWord: true, wordIndex: w));
        return pieces;
    }

    /// <summary>Splits on added tokens, tokenizes the plain parts, and maps offsets back to <paramref name="text"/>.</summary>
    List<TokenPiece> TokenizeSequence(string text, bool forWord, int? wordIndex)
    {
        text = UnicodeText.ReplaceLoneSurrogates(text); // any .NET string is valid input; offsets stay the same
        int shift = AddsPrefixSpace(forWord) ? 1 : 0;
        var prepared = shift == 1 ? " " + text : text;
        var pieces = new List<TokenPiece>();
        int word = 0;
        foreach (var segment in splitter.Split(prepared))
        {
            if (segment.Token is { } added)
                pieces.Add(new TokenPiece(added.Id, added.Content, segment.Start, segment.End, word++));
            else
                word = AppendPieces(prepared, segment.Start, segment.End, word, pieces);
        }
        if (shift == 0 && wordIndex == null) return pieces;
        return pieces.ConvertAll(p => p with
        {
            Start = Math.Max(0, p.Start - shift),
            End = Math.Max(0, p.End - shift),
            Word = wordIndex ?? p.Word,
        });
    }

    /// <summary>HF <c>clean_up_tokenization</c>: removes spaces before punctuation and English contractions.</summary>
    static string CleanUpTokenizationSpaces(string text) => text
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
        .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
}
