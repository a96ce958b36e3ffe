using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// What an encoder's embedding tables can index, checked once where a tokenizer meets a model (fitting, loading a model
/// zip) and then on every encoded row before it reaches libtorch: token ids below <c>vocab_size</c>, sequence lengths
/// within the position table (RoBERTa's positions start after <c>pad_token_id + 1</c>, prompt tuning's virtual tokens
/// take some), token types below <c>type_vocab_size</c>. Messages name both numbers and where each comes from.
/// </summary>
internal sealed class EncoderInputLimits
{
    EncoderInputLimits(int maxLength, int vocabSize, int typeVocabSize, int positions, string model, IReadOnlyList<string> notes)
    {
        MaxLength = maxLength; this.vocabSize = vocabSize; this.typeVocabSize = typeVocabSize; this.positions = positions;
        this.model = model; Notes = notes;
    }

    readonly int vocabSize, typeVocabSize, positions;
    readonly string model;

    /// <summary>Tokens per row, special tokens included, that the encoder accepts (what truncation cuts to).</summary>
    public int MaxLength { get; }

    /// <summary>Adjustments made to fit the model (a shorter default length, token types merged), for the training log.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>
    /// Positions available to real tokens: the position table, less RoBERTa's offset and prompt-tuning virtual tokens.
    /// </summary>
    public static int UsablePositions(TransformerConfig config, int virtualTokens = 0) =>
        config.MaxPositionEmbeddings - (config.ModelType == "roberta" ? config.PadTokenId + 1 : 0) - virtualTokens;

    /// <param name="config">The encoder's config.</param>
    /// <param name="tokenizer">The tokenizer that will feed it.</param>
    /// <param name="requestedLength">MaxSequenceLength asked for.</param>
    /// <param name="lengthIsDefault">True when the user left MaxSequenceLength at its default: a longer default than the model takes is shortened, an explicit one refused.</param>
    /// <param name="virtualTokens">Prompt-tuning tokens put in front of every row.</param>
    /// <param name="pairs">Whether rows are text pairs (the second text gets token type 1 with BERT-style tokenizers).</param>
    /// <param name="model">How to name the model in messages, e.g. "checkpoint 'tiny' (config.json)".</param>
    public static EncoderInputLimits Create(TransformerConfig config, TransformerTokenizer tokenizer, int requestedLength, bool lengthIsDefault,
        int virtualTokens, bool pairs, string model)
    {
        var notes = new List<string>();
        if (tokenizer.VocabSize > config.VocabSize)
        {
            int largest = tokenizer.VocabSize - 1;
            throw new InvalidDataException($"The tokenizer produces ids up to {largest} ('{tokenizer.IdToToken(largest)}') but the embedding table of {model} " +
                $"has vocab_size {config.VocabSize} rows (ids 0..{config.VocabSize - 1}). Use the tokenizer the model was trained with, or a model whose vocab_size covers it.");
        }
        if (tokenizer.PadTokenId < 0 || tokenizer.PadTokenId >= config.VocabSize)
            throw new InvalidDataException($"The tokenizer pads with id {tokenizer.PadTokenId}, outside the vocab_size {config.VocabSize} of {model}.");

        int usable = UsablePositions(config, virtualTokens);
        string positionsText = $"max_position_embeddings {config.MaxPositionEmbeddings}"
            + (config.ModelType == "roberta" ? $" less RoBERTa's position offset {config.PadTokenId + 1} (pad_token_id + 1)" : "")
            + (virtualTokens > 0 ? $" less {virtualTokens} prompt-tuning virtual tokens" : "");
        int specials = tokenizer.Template.Count(pairs) + (pairs ? 2 : 1); // the special tokens and at least one token per text
        if (usable < specials)
            throw new InvalidDataException($"{model} leaves {usable} positions for text ({positionsText}); at least {specials} are needed.");
        int maxLength = requestedLength;
        if (requestedLength > usable)
        {
            if (!lengthIsDefault)
                throw new ArgumentOutOfRangeException("MaxSequenceLength",
                    $"MaxSequenceLength {requestedLength} is more than the {usable} positions of {model} ({positionsText}). Set MaxSequenceLength to {usable} or less.");
            maxLength = usable;
            notes.Add($"MaxSequenceLength {requestedLength} (the default) is more than the {usable} positions of {model} ({positionsText}); texts are cut to {usable} tokens.");
        }
        int typeVocab = config.TypeVocabSize;
        if (pairs && typeVocab > 0 && tokenizer.Template.SecondTypeId >= typeVocab)
            notes.Add($"The tokenizer gives a text pair's second text token type {tokenizer.Template.SecondTypeId} but {model} has type_vocab_size {typeVocab}; " +
                "both texts get token type 0 (as RoBERTa-style models do).");
        return new EncoderInputLimits(maxLength, config.VocabSize, typeVocab, usable, model, notes);
    }

    /// <summary>
    /// <paramref name="encoded"/> as the encoder can take it: token types the model lacks become 0; a row longer than
    /// the positions (only possible with DoNotTruncate) or an id outside the vocabulary is refused naming the row.
    /// </summary>
    public EncodedInput Check(EncodedInput encoded, string row)
    {
        if (encoded.Length > positions)
            throw new ArgumentException($"{row} has {encoded.Length} tokens but {model} has {positions} positions; with DoNotTruncate every text must fit. " +
                "Use a truncation strategy or shorten the text.");
        foreach (int id in encoded.InputIds)
            if ((uint)id >= (uint)vocabSize)
                throw new InvalidDataException($"{row} holds token id {id}, outside the vocab_size {vocabSize} of {model}.");
        if (typeVocabSize > 0 && encoded.TokenTypeIds.Any(t => t >= typeVocabSize || t < 0))
            return encoded.WithTokenTypeIds(Array.ConvertAll(encoded.TokenTypeIds, t => t >= typeVocabSize || t < 0 ? 0 : t));
        return encoded;
    }
}
