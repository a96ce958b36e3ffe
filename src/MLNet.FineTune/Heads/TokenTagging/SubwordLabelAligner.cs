namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>
/// Spreads per-word label ids over sub-word tokens the way Hugging Face's <c>run_ner.py</c>
/// (<c>tokenize_and_align_labels</c>) does: the first token of each word carries the word's label; continuation
/// tokens and special/padding tokens get <see cref="IgnoreIndex"/> so the loss skips them.
/// </summary>
internal sealed class SubwordLabelAligner
{
    /// <summary>Label id that the token-classification loss ignores (PyTorch's cross-entropy default).</summary>
    public const int IgnoreIndex = -100;

    readonly int[] beginToInside;

    /// <summary>Creates an aligner for a label set; <paramref name="labelNames"/>[id] is the tag of label id.</summary>
    /// <param name="labelNames">Tags in label-id order, e.g. <c>O, B-PER, I-PER, ...</c>. Used to map B-X to I-X.</param>
    public SubwordLabelAligner(IReadOnlyList<string> labelNames)
    {
        ArgumentNullException.ThrowIfNull(labelNames);
        LabelNames = labelNames;
        // Same as HF's b_to_i_label: B-X maps to the id of I-X when the label set has it, every other label to itself.
        var idOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labelNames.Count; i++) idOf.TryAdd(labelNames[i], i);
        beginToInside = new int[labelNames.Count];
        for (int i = 0; i < labelNames.Count; i++)
        {
            string name = labelNames[i];
            beginToInside[i] = name.StartsWith("B-", StringComparison.Ordinal) && idOf.TryGetValue("I-" + name[2..], out int inside)
                ? inside : i;
        }
    }

    /// <summary>Tags in label-id order.</summary>
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>
    /// Per-token label ids for one tokenized sequence.
    /// </summary>
    /// <param name="wordIds">For each token, the index of the word it came from, or null for special and padding tokens.</param>
    /// <param name="wordLabelIds">Label id of each word; a negative id (e.g. <see cref="IgnoreIndex"/>) is passed through.</param>
    /// <param name="labelAllSubwords">
    /// HF's <c>label_all_tokens</c>: continuation tokens get the word's label too, with B-X turned into I-X.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">A word id has no label, or a label id is not in the label set.</exception>
    public int[] Align(IReadOnlyList<int?> wordIds, IReadOnlyList<int> wordLabelIds, bool labelAllSubwords = false)
    {
        var tokenLabels = new int[wordIds.Count];
        int? previousWord = null;
        for (int t = 0; t < wordIds.Count; t++)
        {
            int? word = wordIds[t];
            if (word is not { } w) tokenLabels[t] = IgnoreIndex;
            else
            {
                int label = LabelOf(w, t, wordLabelIds);
                // A word counts as new whenever the id changes, also right after a special token (as in HF).
                if (w != previousWord) tokenLabels[t] = label;
                else tokenLabels[t] = labelAllSubwords && label >= 0 ? beginToInside[label] : IgnoreIndex;
            }
            previousWord = word;
        }
        return tokenLabels;
    }

    int LabelOf(int word, int token, IReadOnlyList<int> wordLabelIds)
    {
        if (word < 0 || word >= wordLabelIds.Count)
            throw new ArgumentOutOfRangeException(nameof(wordLabelIds),
                $"Token {token} belongs to word {word}, but only {wordLabelIds.Count} word labels were given.");
        int label = wordLabelIds[word];
        if (label >= LabelNames.Count)
            throw new ArgumentOutOfRangeException(nameof(wordLabelIds),
                $"Word {word} has label id {label}; the label set has {LabelNames.Count} labels (0..{LabelNames.Count - 1}).");
        return label;
    }
}
