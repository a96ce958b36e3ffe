namespace MLNet.FineTune.Tokenization;

/// <summary>
/// One encoded text (or text pair), all arrays the same length: what a transformer encoder takes as input plus the
/// alignment back to the words and characters of the original text.
/// </summary>
// Public in MLNet.FineTune; internal where MLNet.FineTune.Onnx compiles this file in (one public type per name across both packages).
#if MLNET_FINETUNE_ONNX
internal
#else
public
#endif
sealed class EncodedInput
{
    internal EncodedInput(int[] inputIds, int[] attentionMask, int[] tokenTypeIds, int?[] wordIds, int?[] sequenceIds,
        (int Start, int End)[] offsets, string[] tokens)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
        WordIds = wordIds;
        SequenceIds = sequenceIds;
        Offsets = offsets;
        Tokens = tokens;
    }

    /// <summary>Vocabulary ids, special tokens included.</summary>
    public int[] InputIds { get; }

    /// <summary>1 for real tokens, 0 for padding.</summary>
    public int[] AttentionMask { get; }

    /// <summary>Segment ids: 0 for the first sequence, 1 for the pair where the model family uses them (BERT), else 0.</summary>
    public int[] TokenTypeIds { get; }

    /// <summary>Index of the word each token came from, counted from 0 in each sequence; null for special tokens and padding.</summary>
    public int?[] WordIds { get; }

    /// <summary>0 for tokens of the first text, 1 for tokens of the pair, null for special tokens and padding.</summary>
    public int?[] SequenceIds { get; }

    /// <summary>
    /// Character span [Start, End) of each token in its own original text (the pair's offsets index the pair text;
    /// for pre-split words they index the word). (0, 0) for special tokens and padding.
    /// </summary>
    public (int Start, int End)[] Offsets { get; }

    /// <summary>Token strings as the vocabulary spells them (e.g. <c>##ing</c>, <c>Ġworld</c>).</summary>
    public string[] Tokens { get; }

    /// <summary>This encoding with other token type ids (a model without the tokenizer's types).</summary>
    internal EncodedInput WithTokenTypeIds(int[] tokenTypeIds) =>
        new(InputIds, AttentionMask, tokenTypeIds, WordIds, SequenceIds, Offsets, Tokens);

    /// <summary>Number of tokens (padding included).</summary>
    public int Length => InputIds.Length;
}
