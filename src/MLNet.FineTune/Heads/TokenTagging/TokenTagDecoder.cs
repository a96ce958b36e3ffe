namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>
/// Turns per-token predictions back into per-word tags and character-offset entity spans, the inverse of
/// <see cref="SubwordLabelAligner"/>: each word takes the prediction of its first sub-word token.
/// </summary>
internal static class TokenTagDecoder
{
    /// <summary>Per-word predictions from per-token predicted label ids and their probabilities.</summary>
    /// <param name="wordIds">For each token, its word index or null for special/padding tokens.</param>
    /// <param name="tokenLabelIds">Predicted label id per token.</param>
    /// <param name="tokenProbabilities">Probability of that predicted label per token.</param>
    /// <param name="wordCount">Number of words in the sentence (words no token covers get label -1).</param>
    public static WordPredictions ToWords(IReadOnlyList<int?> wordIds, IReadOnlyList<int> tokenLabelIds,
        IReadOnlyList<float> tokenProbabilities, int wordCount)
    {
        if (tokenLabelIds.Count != wordIds.Count || tokenProbabilities.Count != wordIds.Count)
            throw new ArgumentException($"Expected one label id and one probability per token ({wordIds.Count} tokens), " +
                $"got {tokenLabelIds.Count} label ids and {tokenProbabilities.Count} probabilities.");
        var result = Uncovered(wordCount);
        var seen = new bool[wordCount];
        for (int t = 0; t < wordIds.Count; t++)
        {
            if (FirstTokenOfWord(wordIds, t, seen) is not { } word) continue;
            result.LabelIds[word] = tokenLabelIds[t];
            result.Probabilities[word] = tokenProbabilities[t];
        }
        return result;
    }

    /// <summary>Per-word predictions from a row-major [tokens × labels] matrix of per-token label probabilities.</summary>
    /// <remarks>The predicted label is the arg-max (the first on ties, like torch.argmax) of the first sub-word's row.</remarks>
    public static WordPredictions ToWords(IReadOnlyList<int?> wordIds, ReadOnlySpan<float> tokenProbabilities, int labelCount, int wordCount)
    {
        if (labelCount <= 0 || tokenProbabilities.Length != wordIds.Count * labelCount)
            throw new ArgumentException($"Expected {wordIds.Count} tokens × {labelCount} labels = {wordIds.Count * labelCount} " +
                $"probabilities, got {tokenProbabilities.Length}.", nameof(tokenProbabilities));
        var result = Uncovered(wordCount);
        var seen = new bool[wordCount];
        for (int t = 0; t < wordIds.Count; t++)
        {
            if (FirstTokenOfWord(wordIds, t, seen) is not { } word) continue;
            var row = tokenProbabilities.Slice(t * labelCount, labelCount);
            int best = 0;
            for (int l = 1; l < labelCount; l++) if (row[l] > row[best]) best = l;
            result.LabelIds[word] = best;
            result.Probabilities[word] = row[best];
        }
        return result;
    }

    /// <summary>Word tags for word predictions; uncovered words (label -1) get <c>O</c>.</summary>
    public static string[] ToTags(WordPredictions predictions, IReadOnlyList<string> labelNames) =>
        predictions.LabelIds.Select(id => id < 0 ? "O" : id < labelNames.Count ? labelNames[id]
            : throw new ArgumentOutOfRangeException(nameof(predictions), $"Label id {id} is outside the {labelNames.Count} label names.")).ToArray();

    /// <summary>
    /// Entity spans of a sentence from its word tags (read leniently, as seqeval's default mode does), with
    /// character offsets into <paramref name="text"/> and confidence = mean word probability over the span.
    /// </summary>
    /// <param name="text">The original text the words came from.</param>
    /// <param name="wordOffsets">Start and exclusive end character offset of each word (see <see cref="WordOffsets"/>).</param>
    /// <param name="wordTags">Tag per word.</param>
    /// <param name="wordProbabilities">Probability of each word's tag.</param>
    public static List<EntitySpan> ToEntitySpans(string text, IReadOnlyList<(int Start, int End)> wordOffsets,
        IReadOnlyList<string> wordTags, IReadOnlyList<float> wordProbabilities)
    {
        if (wordOffsets.Count != wordTags.Count || wordProbabilities.Count != wordTags.Count)
            throw new ArgumentException($"Expected one offset and one probability per word ({wordTags.Count} tags), " +
                $"got {wordOffsets.Count} offsets and {wordProbabilities.Count} probabilities.");
        var spans = new List<EntitySpan>();
        foreach (var chunk in TagChunker.Chunks(wordTags))
        {
            int start = wordOffsets[chunk.Start].Start, end = wordOffsets[chunk.End - 1].End;
            if (start < 0 || end > text.Length || end < start)
                throw new ArgumentOutOfRangeException(nameof(wordOffsets),
                    $"Words {chunk.Start}..{chunk.End - 1} span characters {start}..{end}, outside the text of length {text.Length}.");
            float sum = 0;
            for (int w = chunk.Start; w < chunk.End; w++) sum += wordProbabilities[w];
            spans.Add(new EntitySpan(chunk.Type, start, end, text[start..end], sum / chunk.Length));
        }
        return spans;
    }

    static WordPredictions Uncovered(int wordCount)
    {
        var ids = new int[wordCount];
        Array.Fill(ids, -1);
        return new WordPredictions(ids, new float[wordCount]);
    }

    // The word index when token t is the first token of its word, else null (specials, continuations).
    static int? FirstTokenOfWord(IReadOnlyList<int?> wordIds, int t, bool[] seen)
    {
        if (wordIds[t] is not { } word) return null;
        if (word < 0 || word >= seen.Length)
            throw new ArgumentOutOfRangeException(nameof(wordIds), $"Token {t} has word id {word}; the sentence has {seen.Length} words.");
        if (seen[word]) return null;
        seen[word] = true;
        return word;
    }
}
