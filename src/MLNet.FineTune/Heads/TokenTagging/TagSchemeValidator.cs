namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>
/// Checks tag sequences against the rules of a <see cref="TagScheme"/> and reports or repairs what breaks them.
/// Tags must be <c>O</c> or <c>P-Type</c> with a prefix the scheme allows (B/I for IOB1 and IOB2, B/I/E/S for BIOES).
/// </summary>
internal static class TagSchemeValidator
{
    /// <summary>Violations in one tag sequence; empty when it is well formed.</summary>
    public static IReadOnlyList<TagViolation> Validate(IReadOnlyList<string> tags, TagScheme scheme, int sentenceIndex = 0)
    {
        var violations = new List<TagViolation>();
        string prev = "O";
        for (int i = 0; i < tags.Count; i++)
        {
            string tag = tags[i];
            string? problem = Malformed(tag, scheme) ?? Transition(prev, tag, scheme);
            if (problem != null) violations.Add(new TagViolation(sentenceIndex, i, tag ?? "", problem));
            prev = tag ?? "O";
        }
        // BIOES chunks must be closed by E-X; a sequence may not end inside one.
        if (scheme == TagScheme.Bioes && tags.Count > 0 && Prefix(prev) is 'B' or 'I' && Malformed(prev, scheme) == null)
            violations.Add(new TagViolation(sentenceIndex, tags.Count - 1, prev,
                $"{prev} ends the sentence; in BIOES a chunk must end with E-{TypeOf(prev)} (or be S-{TypeOf(prev)})"));
        return violations;
    }

    /// <summary>Violations in every sentence, each naming its sentence index.</summary>
    public static IReadOnlyList<TagViolation> Validate(IEnumerable<IReadOnlyList<string>> sentences, TagScheme scheme) =>
        sentences.SelectMany((tags, index) => Validate(tags, scheme, index)).ToList();

    /// <summary>
    /// The sentences unchanged when all are valid; otherwise throws or repairs per <paramref name="handling"/>.
    /// Malformed tags (unknown prefix, missing type) always throw: there is no sensible repair for them.
    /// </summary>
    /// <exception cref="FormatException">A violation under <see cref="InvalidTagHandling.Throw"/>, or a malformed tag.</exception>
    public static IReadOnlyList<string[]> Enforce(IReadOnlyList<string[]> sentences, TagScheme scheme, InvalidTagHandling handling)
    {
        var result = new string[sentences.Count][];
        var unrepairable = new List<TagViolation>();
        for (int s = 0; s < sentences.Count; s++)
        {
            var violations = Validate(sentences[s], scheme, s);
            result[s] = sentences[s];
            if (violations.Count == 0) continue;
            if (handling == InvalidTagHandling.Throw) unrepairable.AddRange(violations);
            else unrepairable.AddRange(violations.Where(v => Malformed(v.Tag, scheme) != null));
            if (handling == InvalidTagHandling.Repair) result[s] = TagSchemeConverter.Convert(sentences[s], scheme);
        }
        if (unrepairable.Count > 0)
            throw new FormatException($"{unrepairable.Count} tag(s) break the {scheme} scheme; first: " +
                string.Join("; ", unrepairable.Take(5)));
        return result;
    }

    /// <summary>The tags with every scheme violation repaired (see <see cref="InvalidTagHandling.Repair"/>).</summary>
    public static string[] Repair(IReadOnlyList<string> tags, TagScheme scheme) => TagSchemeConverter.Convert(tags, scheme);

    static string? Malformed(string? tag, TagScheme scheme)
    {
        if (tag == "O") return null;
        if (string.IsNullOrEmpty(tag)) return "empty tag; expected O or a prefixed tag such as B-PER";
        string allowed = scheme == TagScheme.Bioes ? "BIES" : "BI";
        if (tag.Length < 3 || tag[1] != '-' || !allowed.Contains(tag[0]))
            return $"malformed tag '{tag}'; {scheme} expects O or {string.Join("/", allowed.Select(c => c + "-"))} followed by a type";
        return null;
    }

    // The rule the pair (prev, tag) breaks, or null. Both are well-formed or "O" here, or prev is malformed (then
    // only the current tag's own constraint is checked).
    static string? Transition(string prev, string tag, TagScheme scheme)
    {
        char p = Prefix(prev), c = Prefix(tag);
        string type = TypeOf(tag);
        bool continuesSameType = p is 'B' or 'I' && TypeOf(prev) == type;
        switch (scheme)
        {
            case TagScheme.Iob2 when c == 'I' && !continuesSameType:
                return $"{tag} follows {prev}; in IOB2 an {tag} must follow B-{type} or I-{type}";
            case TagScheme.Iob1 when c == 'B' && !continuesSameType:
                return $"{tag} follows {prev}; in IOB1 a B-{type} may only follow B-{type} or I-{type} (a chunk starts with I-{type})";
            case TagScheme.Bioes when c is 'I' or 'E' && !continuesSameType:
                return $"{tag} follows {prev}; in BIOES an {tag} must follow B-{type} or I-{type}";
            case TagScheme.Bioes when c is 'B' or 'S' or 'O' && p is 'B' or 'I':
                return $"{tag} follows {prev}; in BIOES {prev} must be followed by I-{TypeOf(prev)} or E-{TypeOf(prev)}";
            default:
                return null;
        }
    }

    static char Prefix(string tag) => string.IsNullOrEmpty(tag) ? 'O' : tag[0];

    static string TypeOf(string tag) => tag.Length > 2 ? tag[2..] : "";
}
